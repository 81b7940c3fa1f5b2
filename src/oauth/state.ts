/**
 * OAuth `state`: `<id>.<expiry>.<signature>`, HMAC-SHA256 under a server secret (Web Crypto, so it
 * runs on Node, workerd and Lambda alike). The id is random, bound to the browser by a cookie, and
 * recorded on use so a state works once.
 */

/** A state is good for this long after the install page was shown. */
export const STATE_TTL_MS = 10 * 60_000;

/** Why a state was refused. */
export type StateProblem = 'missing' | 'forged' | 'expired';

const encoder = new TextEncoder();

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  // An HMAC-SHA256 is 32 bytes: 43 characters unpadded. Anything else would not decode.
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const hmacKey = (secret: string) =>
  crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);

/** The state secret when `SLACK_STATE_SECRET` is unset: HMAC of a fixed label under the client secret. */
export async function deriveStateSecret(clientSecret: string): Promise<string> {
  const key = await hmacKey(clientSecret);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode('slack-event-router/oauth-state/v1'));
  return base64url(new Uint8Array(mac));
}

/** A new signed state, its id (for the cookie) and when it expires (ms since the epoch). */
export async function issueState(
  secret: string,
  now: number,
): Promise<{ state: string; id: string; expiresAt: number }> {
  const id = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const expiresAt = now + STATE_TTL_MS;
  const body = `${id}.${expiresAt.toString(36)}`;
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(body));
  return { state: `${body}.${base64url(new Uint8Array(mac))}`, id, expiresAt };
}

/** Checks a state's signature (constant time) and expiry; the caller checks the cookie and single use. */
export async function readState(
  secret: string,
  state: string | undefined,
  now: number,
): Promise<{ ok: true; id: string; expiresAt: number } | { ok: false; problem: StateProblem }> {
  if (!state) return { ok: false, problem: 'missing' };
  const [id, expiry, signature, ...rest] = state.split('.');
  const mac = signature ? fromBase64url(signature) : null;
  if (!id || !expiry || !mac || rest.length > 0) return { ok: false, problem: 'forged' };
  const good = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(secret),
    mac,
    encoder.encode(`${id}.${expiry}`),
  );
  if (!good) return { ok: false, problem: 'forged' };
  const expiresAt = Number.parseInt(expiry, 36);
  if (!(expiresAt > now)) return { ok: false, problem: 'expired' };
  return { ok: true, id, expiresAt };
}
