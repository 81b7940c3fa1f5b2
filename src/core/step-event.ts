import type { StepEvent } from './event.js';
import { NextShape, storedEffectName } from './stored-effect.js';

/** How an effect that may name a step ended: its result, or its error when it failed for good. */
export type EffectEnd = { status: 'done'; result: unknown } | { status: 'failed'; error: string };

/** What a step takes from elsewhere when its effect carries no origin (one recorded before origins were stamped). */
export interface StepFallback {
  teamId: string | null;
  enterpriseId: string | null;
  /** What `payload.from` says instead of the origin's delivery, e.g. `outbox:<id>`. */
  from: string;
}

/**
 * The step delivery an effect's end makes, keyed `key` (the executor's `step:<outbox id>`, so it is
 * delivered once), or null when the effect names no step for this end. Pure: the executor and the
 * test kit's `runFlow` both build steps with it.
 */
export function stepEventFor(
  effect: unknown,
  end: EffectEnd,
  key: string,
  fallback: StepFallback,
): StepEvent | null {
  if (typeof effect !== 'object' || effect === null || !('next' in effect)) return null;
  const next = NextShape.safeParse(effect.next);
  if (!next.success) return null;
  const continuation = end.status === 'done' ? next.data.done : next.data.failed;
  if (!continuation) return null;
  const origin = next.data.origin;
  return {
    deliveryId: key,
    teamId: origin ? origin.teamId : fallback.teamId,
    enterpriseId: origin ? origin.enterpriseId : fallback.enterpriseId,
    userId: origin?.userId ?? null,
    channelId: origin?.channelId ?? null,
    responseUrl: null,
    retryNum: 0,
    retryReason: null,
    source: 'step',
    kind: 'step',
    name: continuation.step,
    payload: {
      result: end.status === 'done' ? (end.result ?? null) : null,
      error: end.status === 'failed' ? end.error : null,
      data: continuation.data ?? null,
      effect: storedEffectName(effect),
      from: origin?.deliveryId ?? fallback.from,
      threadTs: origin?.threadTs ?? null,
    },
  };
}
