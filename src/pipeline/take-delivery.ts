import type { AckBody, Effect } from '../core/action.js';
import type { AppTypes, HandlerContext, Logger } from '../core/context.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { NormalizedEvent } from '../core/event.js';
import type { Router } from '../core/router.js';
import type { DeliveryRecorder, RecordResult } from '../db/record.js';
import { classifyDatabaseError } from '../db/sqlstate.js';
import { settleBy } from './deadline.js';
import { logDelivery, logOutcomes, type OutageLog } from './delivery-log.js';
import type { Executor, Outcome } from './executor/executor.js';
import type { PipelineObserver } from './observer.js';

/** What `takeDelivery` works with; built once by `createPipeline`. */
export interface PipelineParts<T extends AppTypes> {
  router: Router<T>;
  ctx: HandlerContext<T>;
  /** Records deliveries with their effects leased to this process (group commit). */
  recorder: DeliveryRecorder<Effect<T['write']>>;
  executor: Executor<Effect<T['write']>>;
  logger: Logger;
  outage?: OutageLog;
  /** Longest wait for routing + recording before answering `unavailable` (RECORD_DEADLINE_MS); none when unset. */
  deadlineMs?: number;
  /** Deliveries still being decided (past their deadline too), past which the next is refused at once. */
  maxPending?: number;
  pending?: { n: number };
  /** Metrics and traces (src/observe); absent: nothing is counted. */
  observer?: PipelineObserver;
}

/**
 * The decision for one delivery: ack it (and then run its effects), do not ack so Slack redelivers,
 * or refuse it (`rejected`: the store refused its data; nothing was recorded and a retry cannot help).
 */
export type Taken =
  | {
      status: 'ack';
      body: AckBody | null;
      handler: string | null;
      /** `new`: effects recorded; `duplicate`: seen before, nothing runs; `none`: no effects to record. */
      recorded: 'new' | 'duplicate' | 'none';
      effects: readonly Effect[];
      error: string | null;
      /**
       * Runs the recorded effects and logs each outcome; call it once the ack is sent. Never rejects:
       * what it could not run stays in the outbox for a drain.
       */
      after(options?: { deadline?: number }): Promise<Outcome[]>;
    }
  | { status: 'unavailable'; error: string }
  | { status: 'rejected'; error: string };

const nothing = async (): Promise<Outcome[]> => [];

/**
 * Takes one delivery, the same for every mount: route → record the delivery and its effects →
 * log one line. The mount acks (HTTP response, socket ack) and then calls `after()`. A store that
 * cannot be reached gives `unavailable`: the mount must not ack, and Slack redelivers.
 */
export async function takeDelivery<T extends AppTypes>(
  parts: PipelineParts<T>,
  event: NormalizedEvent,
  options: { receivedAt?: number } = {},
): Promise<Taken> {
  const receivedAt = options.receivedAt ?? performance.now();
  const taken = await decideInTime(parts, event);
  const ackMs = performance.now() - receivedAt;
  logDelivery(parts.logger, event, taken, ackMs, parts.outage);
  parts.observer?.delivered(event, taken, ackMs);
  return taken;
}

/**
 * `decide` within `deadlineMs`: a store that hangs must not hold an ack past Slack's 3 s. Past the
 * deadline the answer is `unavailable` (Slack retries); if the delivery is recorded after all, its
 * effects run as usual and the retry finds a duplicate. Too many still waiting: `unavailable` at once.
 */
function decideInTime<T extends AppTypes>(parts: PipelineParts<T>, event: NormalizedEvent): Promise<Taken> {
  if (parts.deadlineMs === undefined) return decide(parts, event, null);
  const pending = parts.pending ?? { n: 0 };
  if (pending.n >= (parts.maxPending ?? Number.POSITIVE_INFINITY)) {
    return Promise.resolve({
      status: 'unavailable',
      error: `${pending.n} deliveries are already waiting for the store`,
    });
  }
  pending.n++;
  const decided = decide(parts, event, pending);
  return settleBy(decided, parts.deadlineMs, 'recording the delivery', (error): Taken => {
    void decided.then(
      (late) => (late.status === 'ack' ? late.after() : []),
      () => [],
    );
    return { status: 'unavailable', error: error.message };
  });
}

/** Routes and records one delivery; `pending` (the deliveries still being decided) counts it down once decided. */
async function decide<T extends AppTypes>(
  parts: PipelineParts<T>,
  event: NormalizedEvent,
  pending: { n: number } | null,
): Promise<Taken> {
  try {
    const routing = parts.observer?.routed ? performance.now() : 0;
    const routed = await parts.router.dispatch(event, parts.ctx);
    parts.observer?.routed?.(event, performance.now() - routing, routed.handler);
    const base = {
      body: routed.ack,
      handler: routed.handler,
      effects: routed.effects,
      error: routed.error?.message ?? null,
    };
    // Nothing to run means nothing to deduplicate: skip the write on the ack path.
    if (routed.effects.length === 0) return { status: 'ack', ...base, recorded: 'none', after: nothing };
    let recorded: RecordResult<Effect<T['write']>>;
    try {
      const started = parts.observer ? performance.now() : 0;
      recorded = await parts.recorder.record(event, routed.effects, routed.handler);
      parts.observer?.recorded(
        performance.now() - started,
        event,
        recorded.status === 'recorded' ? recorded.deliveryId : null,
      );
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      if (classifyDatabaseError(cause) === 'data') {
        return { status: 'rejected', error: `the store refused the delivery: ${reason}` };
      }
      throw new StoreUnavailableError(`recording the delivery failed: ${reason}`, { cause });
    }
    if (recorded.status === 'duplicate')
      return { status: 'ack', ...base, recorded: 'duplicate', after: nothing };
    const { claimed } = recorded;
    const after = (runOptions?: { deadline?: number }) =>
      parts.executor.runClaimed(claimed, runOptions).then(
        (outcomes) => {
          logOutcomes(parts.logger, event, outcomes);
          parts.observer?.effects(event, outcomes);
          return outcomes;
        },
        (cause: unknown) => {
          parts.logger.error('effects left for the next drain', {
            delivery: event.deliveryId,
            cause: String(cause),
          });
          return [];
        },
      );
    return { status: 'ack', ...base, recorded: 'new', after };
  } catch (error) {
    if (error instanceof StoreUnavailableError) return { status: 'unavailable', error: error.message };
    throw error;
  } finally {
    if (pending) pending.n--;
  }
}
