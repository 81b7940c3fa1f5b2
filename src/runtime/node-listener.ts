import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from '../core/context.js';
import {
  answerDelivery,
  answerUnread,
  type DeliveryAnswer,
  type DeliveryOptions,
  type DeliveryServices,
  EVENTS_PATH,
  MAX_BODY_BYTES,
} from '../http/delivery.js';
import { BODY_TIMEOUT_MS, bodyTimeout, type ReadBody, tooLarge } from '../http/read-body.js';
import { countdown } from '../pipeline/deadline.js';

/**
 * The Node server's request listener: `POST /slack/events` goes from node:http straight to
 * `answerDelivery`, the same function the Hono route calls; every other request goes to Hono.
 * Straight, a delivery builds no web Request, Hono context or web Response (bench: http).
 */
export function nodeListener(options: {
  fetch: (request: Request) => Response | Promise<Response>;
  services: DeliveryServices;
  delivery: DeliveryOptions;
  logger: Logger;
  /** Host name for the URL of requests handed to Hono. */
  hostname?: string;
}): RequestListener {
  const hono = getRequestListener(options.fetch, { hostname: options.hostname });
  const { services, delivery, logger } = options;
  const failed = (path: string, error: unknown) =>
    logger.error('request failed', { path, error: error instanceof Error ? error.message : String(error) });

  /** Answers a delivery whose body was read (or refused): writes the answer, then runs its effects. */
  async function deliver(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    read: ReadBody,
    receivedAt: number,
  ): Promise<void> {
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    let answer: Written;
    try {
      answer = read.ok
        ? await answerDelivery(services, { body: read.body, header, path, receivedAt }, delivery)
        : answerUnread(read, { header, path }, delivery.refused);
    } catch (error) {
      failed(path, error);
      answer = { status: 500, json: INTERNAL_ERROR };
    }
    try {
      writeAnswer(res, answer);
    } catch (error) {
      // An ack body JSON cannot write (a BigInt, a cycle): no ack, so Slack retries; the effects still run.
      failed(path, error);
      if (!res.headersSent) writeAnswer(res, { status: 500, json: INTERNAL_ERROR });
      else res.destroy();
    }
    if (answer.after) void answer.after(); // after the ack: never rejects, what fails stays in the outbox
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (req.method === 'POST' && path === EVENTS_PATH) {
      const receivedAt = performance.now();
      readRequestBody(req, MAX_BODY_BYTES, BODY_TIMEOUT_MS, (read) => {
        if (read === null) return; // the client went away mid-body: nobody to answer
        deliver(req, res, path, read, receivedAt).catch((error: unknown) => {
          failed(path, error);
          res.destroy();
        });
      });
    } else void hono(req, res);
  };
}

const INTERNAL_ERROR = { error: 'internal_error', message: 'the request could not be handled' };
const EMPTY = { 'content-length': '0' };

/** An answer, or the 500 of a delivery that failed in an unforeseen way. */
type Written = Omit<DeliveryAnswer, 'status'> & { status: DeliveryAnswer['status'] | 500 };

function writeAnswer(res: ServerResponse, answer: Written): void {
  if (res.destroyed) return;
  if (answer.json === null) {
    res.writeHead(answer.status, answer.headers ? { ...EMPTY, ...answer.headers } : EMPTY).end();
    return;
  }
  const text = JSON.stringify(answer.json);
  res
    .writeHead(answer.status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...answer.headers,
    })
    .end(text);
}

/**
 * Reads the body from node:http and hands it to `done`: refused at once past `maxBytes` by its
 * Content-Length (before any byte is read), or while streaming a chunked one; refused when not in
 * full within `timeoutMs`; `null` when the client closed the connection first. A callback, not a
 * promise: it runs for every delivery.
 */
function readRequestBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number,
  done: (read: ReadBody | null) => void,
): void {
  const length = req.headers['content-length'];
  if (length !== undefined && req.headers['transfer-encoding'] === undefined && Number(length) > maxBytes) {
    done(tooLarge(maxBytes));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (result: ReadBody | null) => {
    if (settled) return;
    settled = true;
    timer.cancel();
    done(result);
  };
  const timer = countdown(timeoutMs, () => settle(bodyTimeout(timeoutMs)));
  req.on('data', (chunk: Buffer) => {
    if (settled) return;
    size += chunk.byteLength;
    if (size > maxBytes) return settle(tooLarge(maxBytes));
    chunks.push(chunk);
  });
  req.on('end', () => {
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
    const text = body.toString('utf8');
    // As TextDecoder (the Hono route's `text()`) reads it: without a leading byte order mark.
    settle({ ok: true, body: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text });
  });
  req.on('close', () => settle(null)); // after 'end' this changes nothing
}
