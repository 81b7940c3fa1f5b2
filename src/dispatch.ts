import type { AckBody, Effect } from './core/action.js';
import type { HandlerContext, Logger } from './core/context.js';
import { StoreUnavailableError } from './core/errors.js';
import type { NormalizedEvent } from './core/event.js';
import type { Router } from './core/router.js';
import type { DatabaseHandle } from './db/database.js';
import type { DeliveryRecorder, RecordResult } from './db/record.js';
import { classifyDatabaseError } from './db/sqlstate.js';
import type { Executor, Outcome } from './executor.js';

/** What every mount needs to take a delivery. */
export interface Pipeline {
  router: Router;
  ctx: HandlerContext;
  database: DatabaseHandle;
  /** Records deliveries with their effects leased to this process (group commit). */
  recorder: DeliveryRecorder;
  executor: Executor;
  logger: Logger;
}

/**
 * The decision for one delivery: ack it (and then run its effects), do not ack so Slack redelivers,
 * or refuse it (`rejected`: the store refused its data; nothing was recorded and a retry cannot help).
 */
export type Dispatched =
  | {
      status: 'ack';
      body: AckBody | null;
      handler: string | null;
      /** `new`: effects recorded; `duplicate`: seen before, nothing runs; `none`: no effects to record. */
      recorded: 'new' | 'duplicate' | 'none';
      effects: Effect[];
      error: string | null;
      /** Runs the recorded effects; call it after the ack is sent. */
      run: (options?: { deadline?: number }) => Promise<Outcome[]>;
    }
  | { status: 'unavailable'; error: string }
  | { status: 'rejected'; error: string };

const nothing = async (): Promise<Outcome[]> => [];

/**
 * The one path every mount takes: route → record delivery and effects → (caller acks) → run effects.
 * A store that cannot be reached returns `unavailable`: the caller must not ack.
 */
export async function dispatch(event: NormalizedEvent, pipeline: Pipeline): Promise<Dispatched> {
  try {
    const routed = await pipeline.router.dispatch(event, pipeline.ctx);
    const base = {
      body: routed.ack,
      handler: routed.handler,
      effects: routed.effects,
      error: routed.error?.message ?? null,
    };
    // Nothing to run means nothing to deduplicate: skip the write on the ack path.
    if (routed.effects.length === 0) return { status: 'ack', ...base, recorded: 'none', run: nothing };
    let recorded: RecordResult;
    try {
      recorded = await pipeline.recorder.record(event, routed.effects);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      if (classifyDatabaseError(cause) === 'data') {
        return { status: 'rejected', error: `the store refused the delivery: ${reason}` };
      }
      throw new StoreUnavailableError(`recording the delivery failed: ${reason}`, { cause });
    }
    if (recorded.status === 'duplicate')
      return { status: 'ack', ...base, recorded: 'duplicate', run: nothing };
    const { claimed } = recorded;
    return {
      status: 'ack',
      ...base,
      recorded: 'new',
      run: (options) => pipeline.executor.runClaimed(claimed, options),
    };
  } catch (error) {
    if (error instanceof StoreUnavailableError) return { status: 'unavailable', error: error.message };
    throw error;
  }
}
