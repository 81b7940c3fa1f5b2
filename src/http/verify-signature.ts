/** How far a request timestamp may be from now, either way. https://api.slack.com/authentication/verifying-requests-from-slack */
export const CLOCK_SKEW_SECONDS = 5 * 60;

export type SignatureErrorCode =
  | 'missing_signature'
  | 'missing_timestamp'
  | 'malformed_signature'
  | 'malformed_timestamp'
  | 'stale_timestamp'
  | 'signature_mismatch';

/** Why a request was not accepted as Slack's. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(
    readonly code: SignatureErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SlackRequestToVerify {
  signingSecret: string;
  /** The raw body, exactly as received. */
  body: string;
  /** `X-Slack-Signature` */
  signature: string | null | undefined;
  /** `X-Slack-Request-Timestamp` */
  timestamp: string | null | undefined;
  /** Injectable clock, for tests. */
  nowMilliseconds?: number;
  /**
   * A synchronous HMAC-SHA256 from the runtime (Node's `createHmac`). Web Crypto is the default and
   * runs everywhere; on Node each `subtle.verify` is a thread-pool job costing several times what
   * `createHmac` does (`npm run bench -- http`), and the signature is checked on every request.
   */
  hmac?: HmacSha256;
}

/** HMAC-SHA256 of `message` under `secret`, 32 bytes. */
export type HmacSha256 = (secret: string, message: string) => Uint8Array;

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** A hex digit's value, or -1: `0-9`, `a-f`, `A-F` by char code, no string made. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20; // 'A'..'F' → 'a'..'f'
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The 32 bytes written as 64 hex digits from `offset` to the end of `text`, or null. */
function hexToBytes(text: string, offset: number): Uint8Array<ArrayBuffer> | null {
  if (text.length - offset !== 64) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const high = hexDigit(text.charCodeAt(offset + i * 2));
    const low = hexDigit(text.charCodeAt(offset + i * 2 + 1));
    if (high < 0 || low < 0) return null;
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

/**
 * Verifies Slack's v0 request signature: Web Crypto by default (every runtime), or the runtime's own
 * synchronous HMAC when given one (Node, Lambda).
 * Throws `SignatureError` with a `code` saying what was wrong.
 */
export async function verifySlackRequest(request: SlackRequestToVerify): Promise<void> {
  if (request.hmac) return verifySlackRequestWith(request.hmac, request);
  const digest = checkHeaders(request);
  // Rule 3: HMAC-SHA256 of `v0:<timestamp>:<body>`, verified by Web Crypto (in constant time).
  const message = encoder.encode(`v0:${request.timestamp}:${request.body}`);
  const valid = await crypto.subtle.verify('HMAC', await hmacKey(request.signingSecret), digest, message);
  if (!valid) throw new SignatureError('signature_mismatch', 'X-Slack-Signature does not match the body');
}

/**
 * `verifySlackRequest` with the runtime's synchronous HMAC, synchronously: it runs for every
 * delivery, and a promise would be one more turn for nothing.
 */
export function verifySlackRequestWith(hmac: HmacSha256, request: SlackRequestToVerify): void {
  const digest = checkHeaders(request);
  // Rule 3: HMAC-SHA256 of `v0:<timestamp>:<body>`, compared in constant time.
  const mac = hmac(request.signingSecret, `v0:${request.timestamp}:${request.body}`);
  if (!constantTimeEqual(mac, digest))
    throw new SignatureError('signature_mismatch', 'X-Slack-Signature does not match the body');
}

/** Rules 1 and 2 (cheap checks before any crypto); returns the signature's digest. */
function checkHeaders(request: SlackRequestToVerify): Uint8Array<ArrayBuffer> {
  const { signature, timestamp } = request;
  // Rule 1: both headers are there and well formed.
  if (!signature) throw new SignatureError('missing_signature', 'X-Slack-Signature header is missing');
  if (!timestamp)
    throw new SignatureError('missing_timestamp', 'X-Slack-Request-Timestamp header is missing');
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new SignatureError(
      'malformed_timestamp',
      'X-Slack-Request-Timestamp is not a Unix time in seconds',
    );
  }
  const digest = signature.startsWith('v0=') ? hexToBytes(signature, 3) : null;
  if (!digest)
    throw new SignatureError('malformed_signature', 'X-Slack-Signature is not v0= and 64 hex digits');
  // Rule 2: the timestamp is within five minutes of now, either way (replay protection).
  const nowSeconds = Math.floor((request.nowMilliseconds ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > CLOCK_SKEW_SECONDS) {
    throw new SignatureError('stale_timestamp', 'X-Slack-Request-Timestamp is more than 5 minutes from now');
  }
  return digest;
}

/** Compares two digests without an early exit: the time taken does not depend on where they differ. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Signs a body as Slack does: for tests, benchmarks and the local trigger tool. */
export async function signSlackRequest(
  signingSecret: string,
  timestamp: number | string,
  body: string,
): Promise<string> {
  const key = await hmacKey(signingSecret);
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, encoder.encode(`v0:${timestamp}:${body}`)),
  );
  return `v0=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
