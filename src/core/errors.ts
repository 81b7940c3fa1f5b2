/** What went wrong turning a delivery into a `NormalizedEvent`. */
export type NormalizeErrorCode =
  | 'malformed_json'
  | 'malformed_form'
  | 'missing_payload'
  | 'invalid_payload'
  | 'unknown_type'
  | 'unsupported_media_type';

/** A delivery that does not fit Slack's shapes. Returned, never thrown, by `normalize`. */
export class NormalizeError extends Error {
  override readonly name = 'NormalizeError';
  constructor(
    readonly code: NormalizeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A handler broke a rule of the router (e.g. returned an ack body its kind cannot carry). */
export class RouterError extends Error {
  override readonly name = 'RouterError';
  constructor(
    readonly code: 'ack_not_allowed' | 'ack_mismatch' | 'several_acks' | 'handler_failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A value or an error, for functions that must not throw. */
export type Result<T, E = NormalizeError> = { ok: true; value: T } | { ok: false; error: E };

/**
 * The store could not be reached or did not answer. The delivery must not be acked: Slack then
 * redelivers it (HTTP 503; an unacked Socket Mode envelope). The router lets it through.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'store_unavailable';
}

/** A failure the runner classified: `retryable: false` fails the effect for good at once. */
export class EffectError extends Error {
  override readonly name = 'EffectError';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A setting that is missing or malformed. Its message is the one line printed at start-up. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}
