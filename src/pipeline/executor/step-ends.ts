import { classifyDatabaseError } from '../../db/sqlstate.js';

// How the executor tells an effect that feeds a step from one that does not, and which failures to
// record a step are worth trying again.

/** Tries of a kept step before its effect fails for good (about a minute at MARK_RETRY_MS, with backoff of the store). */
export const MAX_STEP_TRIES = 120;

/** An error that trying again cannot fix: a value the store refuses, a result JSON cannot hold. */
export function isPermanent(cause: unknown): boolean {
  return cause instanceof TypeError || cause instanceof RangeError || classifyDatabaseError(cause) === 'data';
}

/** Whether an effect names a step for this end (its `next.done` or `next.failed`). */
export function hasNext(effect: unknown, end: 'done' | 'failed'): boolean {
  if (typeof effect !== 'object' || effect === null || !('next' in effect)) return false;
  const next = effect.next;
  return typeof next === 'object' && next !== null && end in next && Reflect.get(next, end) !== undefined;
}
