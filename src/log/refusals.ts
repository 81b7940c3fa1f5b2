import type { Logger } from '../core/context.js';

/** Refusals with the same reason within this long after one was logged are counted, not logged. */
export const REFUSAL_WINDOW_MS = 60_000;

/** What is known about a refused request. The body is never part of it. */
export interface Refusal {
  status: number;
  /** A short code: `signature_mismatch`, `stale_timestamp`, `body_too_large`, `invalid_payload`, … */
  code: string;
  /** The reason in words, as the response says it. */
  reason: string;
  path: string;
  userAgent: string | undefined;
}

/** Logs refused requests at warn; see `refusalLog`. */
export type RefusalLog = (refusal: Refusal) => void;

/**
 * Logs the first refusal of each kind (status and code) at once, at warn, with its reason, path and
 * user agent; more of the same kind within a minute are counted and summarized in one line when
 * the minute is over: `refused 41 more requests in the last minute: 401 signature_mismatch`.
 * A `windowMs` of 0 logs every refusal.
 *
 * @example const refused = refusalLog(logger); refused({ status: 401, code, reason, path, userAgent });
 */
export function refusalLog(logger: Logger, options: { windowMs?: number } = {}): RefusalLog {
  const windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
  const open = new Map<string, { more: number; last: Refusal }>();
  return function refused(refusal) {
    const kind = `${refusal.status} ${refusal.code}`;
    const fields = { path: refusal.path, agent: refusal.userAgent ?? '-' };
    if (windowMs <= 0) return logger.warn(`request refused: ${kind}: ${refusal.reason}`, fields);
    const window = open.get(kind);
    if (window) {
      window.more++;
      window.last = refusal;
      return;
    }
    logger.warn(`request refused: ${kind}: ${refusal.reason}`, fields);
    const started = { more: 0, last: refusal };
    open.set(kind, started);
    const timer = setTimeout(() => {
      open.delete(kind);
      if (started.more === 0) return;
      logger.warn(
        `refused ${started.more} more ${started.more === 1 ? 'request' : 'requests'} in the last minute: ${kind}`,
        { path: started.last.path, agent: started.last.userAgent ?? '-' },
      );
    }, windowMs);
    // A Node process may exit with a summary pending; a Worker drops it with its isolate.
    (timer as { unref?: () => void }).unref?.();
  };
}
