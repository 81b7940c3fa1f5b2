import type { Context } from 'hono';

const decoder = new TextDecoder();

/**
 * How long a body may take to arrive. Slack sends its small bodies at once and wants an ack within
 * 3 s; a body shorter than its Content-Length (a broken client) would otherwise hold the request open.
 */
export const BODY_TIMEOUT_MS = 5_000;

/** A body read in full, or why not. */
export type ReadBody = { ok: true; body: string } | Unread;

/** Why a body was not read: larger than allowed, or not in full in time. */
export type Unread = { ok: false; code: 'body_too_large' | 'body_timeout'; message: string };

/** The refusal of a body larger than `maxBytes`. */
export const tooLarge = (maxBytes: number): Unread => ({
  ok: false,
  code: 'body_too_large',
  message: `the body is larger than ${maxBytes} bytes`,
});

/** The refusal of a body that did not arrive in full within `timeoutMs`. */
export const bodyTimeout = (timeoutMs: number): Unread => ({
  ok: false,
  code: 'body_timeout',
  message: `the body did not arrive in full within ${timeoutMs / 1000} s (shorter than its Content-Length?)`,
});

/**
 * Reads a request body as text: refused when it is larger than `maxBytes`, or when it has not
 * arrived in full within `timeoutMs` (a body shorter than its Content-Length).
 *
 * With a Content-Length (Slack always sends one), the size is checked before anything is read and
 * the body is then read in one piece. A chunked body is streamed and cut off at the limit. (The
 * Node server reads deliveries from node:http itself, by the same rules: runtime/node-listener.ts.)
 */
export async function readBody(c: Context, maxBytes: number, timeoutMs = BODY_TIMEOUT_MS): Promise<ReadBody> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<ReadBody>((resolve) => {
    timer = setTimeout(() => resolve(bodyTimeout(timeoutMs)), timeoutMs);
  });
  const reading = read(c, maxBytes);
  reading.catch(() => {}); // a read abandoned at the timeout may fail later, when the socket closes
  try {
    return await Promise.race([reading, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(c: Context, maxBytes: number): Promise<ReadBody> {
  const length = c.req.header('content-length');
  if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
    return Number(length) <= maxBytes ? { ok: true, body: await c.req.text() } : tooLarge(maxBytes);
  }
  const reader = c.req.raw.body?.getReader();
  if (!reader) return { ok: true, body: '' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, body: decoder.decode(body) };
}
