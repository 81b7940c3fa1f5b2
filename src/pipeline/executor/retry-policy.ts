import { EffectError } from '../../core/errors.js';

/** When a failed effect is tried again. */
export interface RetryPolicy {
  /** Tries before an effect is left `failed` for a person to see. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 10 * 60_000 };

/**
 * When to try an effect again after `attempts` tries failed with `error`, or null to fail it for
 * good: a runner's `EffectError` says whether it can succeed later and may carry Slack's Retry-After.
 */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, error: unknown, now: Date): Date | null {
  const retryable = !(error instanceof EffectError) || error.retryable;
  if (!retryable || attempts >= policy.maxAttempts) return null;
  const backoff = Math.min(policy.baseDelayMs * 2 ** (attempts - 1), policy.maxDelayMs);
  const hinted = error instanceof EffectError && error.retryAfterMs !== undefined ? error.retryAfterMs : 0;
  return new Date(now.getTime() + Math.max(backoff, hinted));
}
