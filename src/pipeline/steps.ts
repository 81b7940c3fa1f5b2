import { type Effect, effectName } from '../core/action.js';
import type { AppTypes, HandlerContext, Logger } from '../core/context.js';
import type { StepEvent } from '../core/event.js';
import type { Router } from '../core/router.js';
import { NextShape } from '../core/stored-effect.js';
import type { StoreHandle } from '../db/database.js';
import type { Claimed, Lease } from '../db/outbox.js';
import { type EffectEnd, recordStep } from '../db/steps.js';
import { logDelivery, logOutcomes } from './delivery-log.js';
import type { Executor } from './executor/executor.js';

/** What a step needs: the router and its context, the store, and the executor that runs its effects. */
export interface StepParts<T extends AppTypes> {
  router: Router<T>;
  ctx: HandlerContext<T>;
  store: StoreHandle;
  lease: Lease;
  logger: Logger;
  executor: () => Executor<Effect<T['write']>>;
}

/** The step delivery an effect's end makes: keyed by the effect, so it is delivered once. */
export function stepEvent(row: Claimed, end: EffectEnd): StepEvent | null {
  const effect = row.effect;
  if (typeof effect !== 'object' || effect === null || !('next' in effect)) return null;
  const next = NextShape.safeParse(effect.next);
  if (!next.success) return null;
  const continuation = end.status === 'done' ? next.data.done : next.data.failed;
  if (!continuation) return null;
  const origin = next.data.origin;
  return {
    deliveryId: `step:${row.id}`,
    teamId: origin ? origin.teamId : row.team_id,
    enterpriseId: origin ? origin.enterpriseId : row.enterprise_id,
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
      effect: effectName(effectOf(effect)),
      from: origin?.deliveryId ?? `outbox:${row.id}`,
      threadTs: origin?.threadTs ?? null,
    },
  };
}

/** Enough of an effect to name it. */
function effectOf(effect: object): Effect {
  const type = Reflect.get(effect, 'type');
  if (type === 'api') return { type, method: Reflect.get(effect, 'method'), args: {} };
  if (type === 'task') return { type, name: String(Reflect.get(effect, 'name')), input: null };
  if (type === 'later') return { type, delayMs: 0, next: {} };
  return { type: 'store', op: String(type) };
}

/**
 * The executor's `steps`: routes the step an effect's end names to its pure handler, records the
 * effect's end, the step and the step's effects in one transaction, logs the step's line and runs
 * its effects. False when the effect names no step for this end.
 */
export function continueWith<T extends AppTypes>(parts: StepParts<T>) {
  return async function recordAndRunStep(row: Claimed, end: EffectEnd): Promise<boolean> {
    const event = stepEvent(row, end);
    if (!event) return false;
    const started = performance.now();
    const routed = await parts.router.dispatch(event, parts.ctx);
    const recorded = await recordStep(
      parts.store.db,
      row.id,
      end,
      {
        dedupKey: event.deliveryId,
        name: event.name,
        teamId: event.teamId,
        enterpriseId: event.enterpriseId,
        channelId: event.channelId,
        userId: event.userId,
        handler: routed.handler,
        effects: routed.effects,
      },
      { lease: parts.lease, now: parts.ctx.now() },
    );
    if (recorded.status === 'lost') return true; // another process ended the effect, and records its step
    const claimed = recorded.status === 'recorded' ? recorded.claimed : [];
    const after = async () => {
      if (claimed.length === 0) return [];
      const outcomes = await parts.executor().runClaimed(claimed);
      logOutcomes(parts.logger, event, outcomes);
      return outcomes;
    };
    logDelivery(
      parts.logger,
      event,
      {
        status: 'ack',
        body: null,
        handler: routed.handler,
        recorded: recorded.status === 'duplicate' ? 'duplicate' : routed.effects.length > 0 ? 'new' : 'none',
        effects: routed.effects,
        error: routed.error?.message ?? null,
        after,
      },
      performance.now() - started,
    );
    void after();
    return true;
  };
}
