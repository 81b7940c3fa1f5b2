import type { Effect } from '../core/action.js';
import type { AppTypes, HandlerContext, Logger } from '../core/context.js';
import type { Router } from '../core/router.js';
import { stepEventFor } from '../core/step-event.js';
import type { StoreHandle } from '../db/database.js';
import type { Claimed, Lease } from '../db/outbox.js';
import { type EffectEnd, StepRecorder } from '../db/steps.js';
import { logDelivery, logOutcomes } from './delivery-log.js';
import type { Executor } from './executor/executor.js';
import type { PipelineObserver } from './observer.js';
import type { Taken } from './take-delivery.js';

/** What a step needs: the router and its context, the store, and the executor that runs its effects. */
export interface StepParts<T extends AppTypes> {
  router: Router<T>;
  ctx: HandlerContext<T>;
  store: StoreHandle;
  lease: Lease;
  logger: Logger;
  executor: () => Executor<Effect<T['write']>>;
  /** Metrics and traces: the step (`stepped`) and its effects' outcomes (`effects`). */
  observer?: PipelineObserver;
}

/**
 * The executor's `steps`: routes the step an effect's end names to its pure handler, records the
 * effect's end, the step and the step's effects in one statement (batched with the steps that end
 * together), logs the step's line and runs its effects. False when the effect names no step for this end.
 */
export function continueWith<T extends AppTypes>(parts: StepParts<T>) {
  const recorder = new StepRecorder<Effect<T['write']>>(parts.store.raw, parts.lease, parts.ctx.now);
  return async function recordAndRunStep(row: Claimed, end: EffectEnd): Promise<boolean> {
    // One key per end: a `.catch` step recorded, then the effect retried by hand and done, still gets its `.then`.
    const key = end.status === 'done' ? `step:${row.id}` : `step:${row.id}:failed`;
    const event = stepEventFor(row.effect, end, key, {
      teamId: row.team_id,
      enterpriseId: row.enterprise_id,
      from: `outbox:${row.id}`,
    });
    if (!event) return false;
    const started = performance.now();
    const routed = await parts.router.dispatch(event, parts.ctx);
    const recorded = await recorder.record(row.id, end, {
      dedupKey: event.deliveryId,
      name: event.name,
      teamId: event.teamId,
      enterpriseId: event.enterpriseId,
      channelId: event.channelId,
      userId: event.userId,
      handler: routed.handler,
      effects: routed.effects,
    });
    if (recorded.status === 'lost') return true; // another process ended the effect, and records its step
    const claimed = recorded.status === 'recorded' ? recorded.claimed : [];
    const after = async () => {
      if (claimed.length === 0) return [];
      const outcomes = await parts.executor().runClaimed(claimed);
      logOutcomes(parts.logger, event, outcomes);
      parts.observer?.effects(event, outcomes);
      return outcomes;
    };
    const taken: Taken = {
      status: 'ack',
      body: null,
      handler: routed.handler,
      recorded: recorded.status === 'duplicate' ? 'duplicate' : routed.effects.length > 0 ? 'new' : 'none',
      effects: routed.effects,
      error: routed.error?.message ?? null,
      after,
    };
    const ms = performance.now() - started;
    logDelivery(parts.logger, event, taken, ms);
    parts.observer?.stepped?.(
      event,
      { effect: row.id, delivery: row.delivery_id },
      taken,
      ms,
      recorded.status === 'recorded' ? recorded.deliveryId : null,
    );
    void after();
    return true;
  };
}
