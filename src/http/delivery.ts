import type { AckBody } from '../core/action.js';
import { normalizeHttp } from '../core/normalize.js';
import type { RefusalLog } from '../log/refusals.js';
import type { Pipeline } from '../pipeline/build.js';
import type { Unread } from './read-body.js';
import {
  type HmacSha256,
  SignatureError,
  verifySlackRequest,
  verifySlackRequestWith,
} from './verify-signature.js';

/** Slack's payloads are small; anything larger is not from Slack. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The path every delivery kind is POSTed to. */
export const EVENTS_PATH = '/slack/events';

/** What a mount needs to answer a delivery. */
export interface DeliveryServices {
  signingSecret: string;
  /** The delivery pipeline; opened only for a verified delivery (url_verification needs no database). */
  pipeline(): Promise<Pipeline>;
  /** The pipeline when it is open already (the Node server opens it at start): no promise per delivery. */
  openPipeline?: Pipeline;
}

/** One `POST /slack/events`, as any mount sees it once the body is read. */
export interface DeliveryRequest {
  body: string;
  /** A request header by its lower-case name. */
  header(name: string): string | undefined;
  path: string;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
}

/**
 * The answer to a delivery, for the mount to write: a web `Response` (Hono), or straight to
 * node:http's response. `after` runs the recorded effects; call it once the answer is sent.
 */
export interface DeliveryAnswer {
  status: 200 | 400 | 401 | 413 | 415 | 503;
  /** The JSON body: the handler's ack, the challenge, or the refusal; `null` for an empty one. */
  json: AckBody | { challenge: string } | { error: string; message: string } | null;
  headers?: Record<string, string>;
  after?: (options?: { deadline?: number }) => Promise<unknown>;
}

/** How refusals are told and how the signature is checked: the same for every request of a mount. */
export interface DeliveryOptions {
  refused: RefusalLog;
  /** The runtime's synchronous HMAC (Node); Web Crypto when absent. */
  hmac?: HmacSha256;
}

const ACK: DeliveryAnswer = { status: 200, json: null };

/**
 * Answers one delivery, the same for every HTTP mount: verify the signature → normalize → route,
 * record and log (`pipeline.take`). Refusals (401, 400, 415) are logged through `refused`, without
 * the body. A store that cannot record it gives 503 with `retry-after`: Slack redelivers.
 */
export async function answerDelivery(
  services: DeliveryServices,
  request: DeliveryRequest,
  options: DeliveryOptions,
): Promise<DeliveryAnswer> {
  const refuse = (status: 400 | 401 | 415, code: string, message: string): DeliveryAnswer => {
    options.refused({
      status,
      code,
      reason: message,
      path: request.path,
      userAgent: request.header('user-agent'),
    });
    return { status, json: { error: code, message } };
  };
  try {
    const signed = {
      signingSecret: services.signingSecret,
      body: request.body,
      signature: request.header('x-slack-signature'),
      timestamp: request.header('x-slack-request-timestamp'),
    };
    if (options.hmac) verifySlackRequestWith(options.hmac, signed);
    else await verifySlackRequest(signed);
  } catch (error) {
    if (error instanceof SignatureError) return refuse(401, error.code, error.message);
    throw error;
  }
  const retryNum = Number.parseInt(request.header('x-slack-retry-num') ?? '0', 10);
  const inbound = normalizeHttp({
    body: request.body,
    contentType: request.header('content-type'),
    retryNum: Number.isFinite(retryNum) && retryNum > 0 ? retryNum : 0,
    retryReason: request.header('x-slack-retry-reason'),
  });
  if (!inbound.ok) {
    const { code, message } = inbound.error;
    return refuse(code === 'unsupported_media_type' ? 415 : 400, code, message);
  }
  if (inbound.value.type === 'url_verification') {
    return { status: 200, json: { challenge: inbound.value.challenge } };
  }
  if (inbound.value.type === 'ssl_check') return ACK;
  const pipeline = services.openPipeline ?? (await services.pipeline());
  const taken = await pipeline.take(inbound.value.event, { receivedAt: request.receivedAt });
  if (taken.status === 'unavailable') {
    return {
      status: 503,
      json: {
        error: 'store_unavailable',
        message: 'the delivery could not be recorded; Slack will retry it',
      },
      headers: { 'retry-after': '1' },
    };
  }
  if (taken.status === 'rejected')
    return { status: 400, json: { error: 'invalid_payload', message: taken.error } };
  return {
    status: 200,
    json: taken.body,
    after: taken.recorded === 'new' ? taken.after : undefined,
  };
}

/**
 * The answer to a body that could not be read (413 too large, 400 not in full in time), logged
 * through `refused`. The connection is closed: what is left of the body is not read.
 */
export function answerUnread(
  read: Unread,
  request: Pick<DeliveryRequest, 'header' | 'path'>,
  refused: RefusalLog,
): DeliveryAnswer {
  const status = read.code === 'body_too_large' ? 413 : 400;
  refused({
    status,
    code: read.code,
    reason: read.message,
    path: request.path,
    userAgent: request.header('user-agent'),
  });
  return { status, json: { error: read.code, message: read.message }, headers: { connection: 'close' } };
}
