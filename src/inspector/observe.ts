import type { Logger } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import { BatchQueue } from '../db/batch.js';
import type { RawSql } from '../db/database.js';
import { annotateDeliveries } from '../db/inspect.js';
import type { AckMinutes } from '../observe/ack-minutes.js';
import type { Pipeline } from '../pipeline/build.js';
import type { Outcome } from '../pipeline/executor/executor.js';
import type { Taken } from '../pipeline/take-delivery.js';
import { type Ring, type RingEntry, redactEvent } from './ring.js';

/** How `observe` keeps what it sees. */
export interface ObserveOptions {
  /** Store the redacted normalized event in the delivery's row (DELIVERY_PAYLOADS). */
  payloads: boolean;
  logger: Logger;
  /** Counts each delivery's ack time per minute, for the charts when rows carry none. */
  acks?: AckMinutes;
}

/** A recorded delivery whose row gets its redacted event (and ack time) once its batch is written. */
interface ToAnnotate {
  event: NormalizedEvent;
  handler: string | null;
  ackMs: number;
}

/**
 * Wraps a pipeline so every delivery it takes goes into `ring`: references to the event, the ack
 * body and the effects as the pipeline has them, redacted only when a page or the CLI reads them.
 * Per delivery that is one ring entry and, for one recorded as new, one callback on its effects'
 * outcomes. With `payloads`, the delivery's row gets its redacted event after the ack, in one
 * batched statement for the deliveries that arrive together.
 */
export function observe(pipeline: Pipeline, ring: Ring, options: ObserveOptions): Pipeline {
  let running = 0;
  let annotating = 0;
  let waiters: (() => void)[] = [];
  const quiet = () => {
    if (running > 0 || annotating > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };
  const annotations = options.payloads
    ? new BatchQueue<ToAnnotate>(async (batch) => {
        try {
          await annotate(pipeline.database.raw, batch, options.logger);
        } finally {
          annotating -= batch.length;
          quiet();
        }
      })
    : null;
  // One per pipeline, not per delivery: an `after` that rejected (it should not) still counts as done.
  const failed = (error: unknown) => {
    running--;
    quiet();
    throw error;
  };

  async function take(event: NormalizedEvent, takeOptions: { receivedAt?: number } = {}): Promise<Taken> {
    const receivedAt = takeOptions.receivedAt ?? performance.now();
    const taken = await pipeline.take(
      event,
      takeOptions.receivedAt === undefined ? { ...takeOptions, receivedAt } : takeOptions,
    );
    const entry = ring.add(event, taken, Math.round((performance.now() - receivedAt) * 10) / 10);
    options.acks?.took(event, taken, entry.ackMs);
    if (taken.status !== 'ack' || taken.recorded !== 'new') return taken;
    if (annotations) {
      annotating++;
      annotations.push({ event, handler: taken.handler, ackMs: entry.ackMs });
    }
    const { after } = taken;
    return {
      ...taken,
      after(runOptions) {
        running++;
        return after(runOptions).then((outcomes) => ran(entry, outcomes), failed);
      },
    };
  }

  function ran(entry: RingEntry, outcomes: Outcome[]): Outcome[] {
    ring.ran(entry, outcomes);
    running--;
    quiet();
    return outcomes;
  }

  return {
    take,
    drain: () => pipeline.drain(),
    async idle() {
      // The effects' outcomes reach the ring, and the annotations their rows, after the effects end.
      for (;;) {
        await pipeline.idle();
        if (running === 0 && annotating === 0) return;
        await new Promise<void>((wake) => waiters.push(wake));
      }
    },
    database: pipeline.database,
    routes: () => pipeline.routes(),
    waitingLanes: () => pipeline.waitingLanes(),
  };
}

/** Writes one batch of annotations; a failure is logged once for the batch (the rows keep no event). */
async function annotate(raw: RawSql, batch: ToAnnotate[], logger: Logger): Promise<void> {
  const items = batch.map(({ event, handler, ackMs }) => ({
    dedupKey: event.deliveryId,
    name: event.name,
    source: event.source,
    channelId: event.channelId,
    userId: event.userId,
    handler,
    ackMs,
    event: redactEvent(event),
  }));
  try {
    await annotateDeliveries(raw, items);
  } catch (cause) {
    logger.warn('inspector: could not annotate the deliveries', {
      deliveries: items.length,
      first: items[0]?.dedupKey,
      cause: String(cause),
    });
  }
}
