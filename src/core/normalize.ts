import type { Result } from './errors.js';
import type { NormalizedEvent } from './event.js';
import { describe, fail, fromCommand, fromEventsApi, fromInteractive, type Retry } from './lift.js';
import { isSocketEnvelope } from './payload-guards.js';
import { SocketEnvelopeSchema, UrlVerificationSchema } from './payloads.js';

/** What an HTTP request to the Slack endpoint turned out to be. */
export type Inbound =
  | { type: 'event'; event: NormalizedEvent }
  | { type: 'url_verification'; challenge: string }
  | { type: 'ssl_check' };

/** A raw HTTP delivery: the body exactly as received and the headers that matter. */
export interface HttpDelivery {
  body: string;
  contentType?: string | null;
  /** `X-Slack-Retry-Num` */
  retryNum?: number;
  /** `X-Slack-Retry-Reason` */
  retryReason?: string | null;
}

/** A Socket Mode envelope, normalized, with what is needed to ack it. */
export interface SocketDelivery {
  envelopeId: string;
  acceptsResponsePayload: boolean;
  event: NormalizedEvent;
}

function parseJson(text: string, what: string): Result<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return fail('malformed_json', `${what} is not valid JSON`);
  }
}

/** Normalizes an HTTP delivery: Events API JSON, a slash-command form, or a `payload=` form. */
export function normalizeHttp(delivery: HttpDelivery): Result<Inbound> {
  const retry: Retry = {
    retryNum: delivery.retryNum ?? 0,
    retryReason: delivery.retryReason || null,
    source: 'http',
  };
  const contentType = delivery.contentType ?? '';
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  if (mediaType === 'application/json') {
    const json = parseJson(delivery.body, 'body');
    if (!json.ok) return json;
    // Checked by type first: a failed safeParse builds an error, and every event callback would pay for it.
    if (isObject(json.value) && json.value.type === 'url_verification') {
      const challenge = UrlVerificationSchema.safeParse(json.value);
      if (!challenge.success) return fail('invalid_payload', describe('url_verification', challenge.error));
      return { ok: true, value: { type: 'url_verification', challenge: challenge.data.challenge } };
    }
    return wrap(fromEventsApi(json.value, retry));
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(delivery.body);
    } catch {
      return fail('malformed_form', 'body is not a valid form');
    }
    if (form.get('ssl_check') === '1') return { ok: true, value: { type: 'ssl_check' } };
    const payload = form.get('payload');
    if (payload !== null) {
      const json = parseJson(payload, 'payload field');
      if (!json.ok) return json;
      return wrap(fromInteractive(json.value, retry));
    }
    if (form.has('command')) return wrap(fromCommand(Object.fromEntries(form), retry));
    return fail('missing_payload', 'form body has neither a payload field nor a command');
  }
  return fail('unsupported_media_type', `content type "${mediaType || '(none)'}" is not one Slack sends`);
}

/** Normalizes a Socket Mode envelope (`events_api`, `slash_commands`, `interactive`). */
export function normalizeEnvelope(raw: unknown): Result<SocketDelivery> {
  const parsed = isSocketEnvelope(raw)
    ? { success: true as const, data: raw }
    : SocketEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const type = parsed.error.issues.some((issue) => issue.path[0] === 'type');
    return fail(type ? 'unknown_type' : 'invalid_payload', describe('envelope', parsed.error));
  }
  const envelope = parsed.data;
  const retry: Retry = {
    retryNum: envelope.retry_attempt ?? 0,
    retryReason: envelope.retry_reason || null,
    source: 'socket',
  };
  const event =
    envelope.type === 'events_api'
      ? fromEventsApi(envelope.payload, retry)
      : envelope.type === 'slash_commands'
        ? fromCommand(envelope.payload, retry)
        : fromInteractive(envelope.payload, retry);
  if (!event.ok) return event;
  return {
    ok: true,
    value: {
      envelopeId: envelope.envelope_id,
      acceptsResponsePayload: envelope.accepts_response_payload ?? false,
      event: event.value,
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

function wrap(result: Result<NormalizedEvent>): Result<Inbound> {
  return result.ok ? { ok: true, value: { type: 'event', event: result.value } } : result;
}
