import type * as z from 'zod';
import { type Effect, effectName } from '../../core/action.js';
import { EffectError } from '../../core/errors.js';
import type { Database, RawSql, StoreHandle } from '../../db/database.js';
import {
  type Claimed,
  claimEffects,
  completeEffects,
  failEffect,
  type Lease,
  pruneDeliveries,
  releaseEffects,
} from '../../db/outbox.js';
import { deferEffect, type EffectEnd } from '../../db/steps.js';
import { withDeadline } from '../deadline.js';
import { runClaimLoop } from './claim-loop.js';
import { Gate } from './gate.js';
import { DoneMarks, type Mark, PendingMarks } from './marks.js';
import { DRAIN_ORDER_WAIT_MS, ORDER_WAIT_MS, waitForLane } from './pace.js';
import { nextAttemptAt } from './retry-policy.js';
import { Running } from './running.js';
import { type ExecutorSettings, executorSettings } from './settings.js';
import { hasNext, isPermanent, MAX_STEP_TRIES } from './step-ends.js';
import type { DrainReport, EffectRunner, ExecutorOptions, Outcome } from './types.js';
import { Wakeups } from './wakeups.js';

export { DRAIN_CONCURRENCY } from './settings.js';
export type { DrainReport, EffectRunner, EffectTarget, ExecutorOptions, Outcome } from './types.js';

/** Milliseconds since `started`, to a tenth. */
const msSince = (started: number) => Math.round((performance.now() - started) * 10) / 10;

/**
 * Runs recorded effects after the ack, marks each done or failed, and drains leftovers. Effects
 * recorded by this process keep their type; those claimed from the outbox are parsed by `schema`.
 */
export class Executor<E extends Effect> {
  /** Runs and drains started and not finished. */
  readonly #running = new Running();
  /** Effects leased to this process that it still has in memory: its own drain leaves them alone. */
  readonly #held = new Set<number>();
  /** "Done" marks: those that arrive together are written in one statement. */
  readonly #done: DoneMarks;
  readonly #marks: PendingMarks;
  readonly #gate: Gate;
  readonly #drainGate: Gate;
  /** The options with their defaults. */
  readonly #settings: ExecutorSettings;
  /** "Done" marks skip the ORM: they are written once per batch of deliveries. */
  readonly #raw: RawSql;
  readonly #steps: ExecutorOptions['steps'];
  readonly #pace: ExecutorOptions['pace'];
  readonly #drained: ExecutorOptions['drained'];
  /** Drains when deferred timers come due (a long-lived owner only). */
  readonly #wakeups: Wakeups;

  private readonly db: Database;

  constructor(
    store: StoreHandle,
    private readonly runner: EffectRunner<E>,
    private readonly schema: z.ZodType<E>,
    options: ExecutorOptions = {},
  ) {
    this.#settings = executorSettings(options);
    this.#gate = new Gate(this.#settings.concurrency);
    this.#drainGate = new Gate(this.#settings.drainConcurrency);
    this.db = store.db;
    this.#raw = store.raw;
    this.#steps = options.steps;
    this.#pace = options.pace;
    this.#drained = options.drained;
    this.#wakeups = new Wakeups(() => this.drain(), this.#settings.logger);
    this.#done = new DoneMarks({
      write: (ids) => completeEffects(this.#raw, ids, this.#settings.now()),
      timeoutMs: this.#settings.markTimeoutMs,
      written: (ids) => {
        for (const id of ids) if (!this.#marks.has(id)) this.#held.delete(id);
      },
      failed: (ids, cause) => {
        for (const id of ids) this.#keep(id, { kind: 'done' }, cause);
      },
    });
    this.#marks = new PendingMarks((marks) => this.#writeMarks(marks), this.#settings.logger);
  }

  /** The lease this executor's effects are recorded and claimed with. */
  get lease(): Lease {
    return this.#settings.lease;
  }

  /**
   * Runs effects the caller already holds (recorded with a lease), in order. With a `deadline`
   * (epoch ms) none starts after it: the rest go back to the outbox for a drain (Lambda).
   */
  runClaimed(claimed: Claimed<E>[], options: { deadline?: number } = {}): Promise<Outcome[]> {
    for (const row of claimed) this.#held.add(row.id);
    return this.#runClaimed(claimed, options.deadline);
  }

  /** A delivery's effects, one after another, none started after the deadline or once stale. */
  async #runClaimed(claimed: Claimed<E>[], deadline: number | undefined): Promise<Outcome[]> {
    this.#running.start();
    try {
      const staleAt = this.#staleAt();
      // "Done" marks are written after the delivery's place is given up: the next delivery's
      // calls need not wait for a statement. Resolving still means every outcome is written.
      const marks: Promise<void>[] = [];
      if (!this.#gate.tryEnter()) await this.#gate.enter();
      const outcomes: Outcome[] = [];
      try {
        for (let i = 0; i < claimed.length; i++) {
          const row = claimed[i];
          if (row === undefined) break;
          if (Date.now() >= staleAt) {
            const ids = claimed.slice(i).map((r) => r.id);
            const message = 'effects waited too long to run here; a drain takes them when their lease ends';
            this.#settings.logger.warn(message, { ids: ids.join(',') });
            for (const id of ids) this.#held.delete(id);
            break;
          }
          if (deadline !== undefined && Date.now() >= deadline) {
            const ids = claimed.slice(i).map((r) => r.id);
            await releaseEffects(this.db, ids, this.#settings.now()).catch(() => {}); // else their lease ends them
            for (const id of ids) this.#held.delete(id);
            break;
          }
          outcomes.push(await this.#runOne(row, marks, this.#gate, staleAt));
        }
      } finally {
        this.#gate.leave();
      }
      for (const mark of marks) await mark; // they never reject
      return outcomes;
    } finally {
      this.#running.end();
    }
  }

  /**
   * Runs every due effect (after a crash, a retry delay, a dead owner's lease, an expired one), then
   * prunes. Deliveries run side by side (`drainConcurrency`), each one's effects in order.
   */
  drain(): Promise<DrainReport> {
    return this.#running.track(
      (async () => {
        await this.#marks.flush(); // outcomes first: what ran must not be claimed again
        const report: DrainReport = { done: 0, retried: 0, failed: 0, pruned: 0 };
        // Each claim's rows must start before their lease could end: when they were claimed decides.
        const staleAt = new Map<number, number>();
        await runClaimLoop({
          // An owner claims up to 4 rounds ahead (its leases cannot run out while they wait; fewer
          // statements, and PGlite runs one at a time); expiry leases only what can start now.
          ahead: this.#settings.drainConcurrency * (this.#settings.lease.owner === null ? 1 : 4),
          batch: this.#settings.batch,
          gate: this.#drainGate,
          claim: async (limit) => {
            const claimed = await claimEffects(this.db, {
              now: this.#settings.now(),
              limit,
              lease: this.#settings.lease,
              held: [...this.#held],
            });
            const at = this.#staleAt();
            for (const row of claimed) {
              this.#held.add(row.id);
              staleAt.set(row.id, at);
            }
            return claimed;
          },
          run: (row) => this.#drainOne(row, staleAt.get(row.id) ?? this.#staleAt(), report),
        });
        const before = new Date(this.#settings.now().getTime() - this.#settings.retentionMs);
        report.pruned = await pruneDeliveries(this.db, before);
        return report;
      })(),
    );
  }

  /** Resolves when every run started so far has finished (for a graceful shutdown or a Worker's waitUntil). */
  async idle(): Promise<void> {
    await this.#running.none();
    if (this.#marks.size > 0) await this.#marks.flush();
  }

  /** Outcomes kept in memory because the store did not take them (yet). */
  get unwrittenOutcomes(): number {
    return this.#marks.size;
  }

  /** Ends the retries of unwritten outcomes (at shutdown, after `idle()`). */
  stop(): void {
    this.#marks.stop();
    this.#wakeups.stop();
  }

  /** A leased effect must not start after this: an expiry lease must outlast the effect. Owners' never end by time. */
  #staleAt(): number {
    if (this.#settings.lease.owner !== null) return Number.POSITIVE_INFINITY;
    return Date.now() + this.#settings.lease.ms - this.#settings.effectTimeoutMs;
  }

  async #drainOne(row: Claimed, staleAt: number, report: DrainReport): Promise<void> {
    if (Date.now() >= staleAt) {
      this.#held.delete(row.id); // its lease ends before the effect could: the next drain takes it
      return;
    }
    const outcome = await this.#runStored(row, staleAt);
    this.#drained?.(outcome);
    if (outcome.status === 'done') report.done++;
    else if (outcome.status === 'retry') report.retried++;
    else {
      report.failed++;
      report.failures = [...(report.failures ?? []), outcome];
    }
  }

  /** An effect claimed from the outbox: parsed first, since the row may predate this code. */
  #runStored(row: Claimed, staleAt: number): Promise<Outcome> {
    const parsed = this.schema.safeParse(row.effect);
    if (parsed.success)
      return this.#runOne(
        { ...row, effect: parsed.data },
        undefined,
        this.#drainGate,
        staleAt,
        DRAIN_ORDER_WAIT_MS,
      );
    const error = new EffectError('outbox entry is not an effect this version can run', { retryable: false });
    return this.#failed(row, 'unknown', error, 0);
  }

  /**
   * Runs one effect; with `marks`, its "done" mark is handed over instead of awaited. An effect whose
   * lane must wait gives its place in `gate` back meanwhile; one that would wait past `staleAt` (an
   * expiry lease) or whose turn in its lane does not come within `orderWaitMs` goes back to the
   * outbox, due when its lane allows.
   */
  async #runOne(
    row: Claimed<E>,
    marks?: Promise<void>[],
    gate?: Gate,
    staleAt = Number.POSITIVE_INFINITY,
    orderWaitMs = ORDER_WAIT_MS,
  ): Promise<Outcome> {
    const name = effectName(row.effect);
    const { delivery_id: delivery, attempts } = row;
    const target = { teamId: row.team_id, enterpriseId: row.enterprise_id, attempt: attempts, id: row.id };
    const laneDue = await waitForLane(this.#pace, row.effect, target, gate, staleAt, orderWaitMs);
    if (laneDue) return this.#defer(row, name, laneDue, 'its rate-limit lane waits');
    const started = performance.now();
    if (row.effect.type === 'later' && (row.effect.dueAt ?? 0) > Date.now()) {
      const dueAt = new Date(row.effect.dueAt ?? 0);
      // A Worker's or a Lambda's pipeline ends with its request: their scheduled drain runs the timer.
      if (this.#settings.lease.owner !== null) this.#wakeups.at(dueAt.getTime());
      return this.#defer(row, name, dueAt, 'not due', msSince(started));
    }
    let result: unknown;
    try {
      const run = this.runner(row.effect, target);
      const timeoutMs =
        row.effect.type === 'stream' ? this.#settings.streamTimeoutMs : this.#settings.effectTimeoutMs;
      result = await withDeadline(run, timeoutMs, `${name} did not finish`);
    } catch (error) {
      return this.#failed(row, name, error, msSince(started));
    }
    const outcome: Outcome = {
      id: row.id,
      effect: name,
      status: 'done',
      ms: msSince(started),
      delivery,
      attempts,
    };
    if (hasNext(row.effect, 'done') && (await this.#endWithStep(row, { status: 'done', result })))
      return outcome;
    const done = this.#done.add(row.id);
    if (marks) marks.push(done);
    else await done;
    return outcome;
  }

  /** Sends an effect back to the outbox, due at `dueAt`, and why (not a failed try: its attempts stay). */
  async #defer(row: Claimed, name: string, dueAt: Date, why: string, ms = 0): Promise<Outcome> {
    await this.#mark(row.id, { kind: 'fail', error: why, retryAt: dueAt }, () =>
      deferEffect(this.db, row.id, dueAt, this.#settings.now()),
    );
    const error = `${why}: due at ${dueAt.toISOString()}`;
    return {
      id: row.id,
      effect: name,
      status: 'retry',
      error,
      ms,
      delivery: row.delivery_id,
      attempts: row.attempts,
    };
  }

  /**
   * Ends the effect and records its step in one statement (the pipeline's `steps`). A store that
   * cannot take it now gets it again later, from memory (the effect stays leased here and never runs
   * again for it); a step that can never be recorded (its result cannot be stored) fails the effect.
   */
  async #endWithStep(row: Claimed, end: EffectEnd): Promise<boolean> {
    if (!this.#steps) return false;
    try {
      const handled = await withDeadline(
        this.#steps(row, end),
        this.#settings.markTimeoutMs,
        'recording a step',
      );
      if (handled) this.#held.delete(row.id);
      return handled;
    } catch (cause) {
      if (isPermanent(cause)) await this.#failStep(row.id, cause);
      else this.#keep(row.id, { kind: 'step', row, end, tries: 1 }, cause);
      return true;
    }
  }

  /** The effect's step can never be recorded: the effect fails for good, with why. */
  #failStep(id: number, cause: unknown): Promise<void> {
    const error = `the step after it could not be recorded: ${cause instanceof Error ? cause.message : String(cause)}`;
    this.#settings.logger.error('an effect ran, but the step after it cannot be recorded: failed for good', {
      id,
      error,
    });
    return this.#mark(id, { kind: 'fail', error, retryAt: null }, () =>
      failEffect(this.db, id, error, null, this.#settings.now()),
    );
  }

  /** Records a failed attempt: retry later with backoff, or failed for good. */
  async #failed(row: Claimed, name: string, error: unknown, ms: number): Promise<Outcome> {
    const message = error instanceof Error ? error.message : String(error);
    const retryAt = nextAttemptAt(this.#settings.retry, row.attempts, error, this.#settings.now());
    const { delivery_id: delivery, attempts } = row;
    const status = retryAt ? 'retry' : 'failed';
    const outcome: Outcome = { id: row.id, effect: name, status, error: message, ms, delivery, attempts };
    // Failed for good and naming a `.catch` step: the step is told, in the same transaction.
    if (
      !retryAt &&
      hasNext(row.effect, 'failed') &&
      (await this.#endWithStep(row, { status: 'failed', error: message }))
    )
      return outcome;
    const mark: Mark = { kind: 'fail', error: message, retryAt };
    await this.#mark(row.id, mark, () => failEffect(this.db, row.id, message, retryAt, this.#settings.now()));
    return outcome;
  }

  /**
   * Writes an outcome within `markTimeoutMs`; one the store does not take in time is kept in memory
   * and written again (the effect stays leased here meanwhile), never dropped.
   */
  async #mark(id: number, mark: Mark, write: () => Promise<unknown>): Promise<void> {
    try {
      await withDeadline(write(), this.#settings.markTimeoutMs, 'writing an effect outcome');
      if (!this.#marks.has(id)) this.#held.delete(id);
    } catch (cause) {
      this.#keep(id, mark, cause);
    }
  }

  #keep(id: number, mark: Mark, cause: unknown): void {
    this.#settings.logger.error('an effect outcome could not be written; kept in memory and tried again', {
      id,
      cause: String(cause),
    });
    this.#marks.add(id, mark);
  }

  /** Writes kept outcomes; each written one is no longer held. */
  async #writeMarks(marks: [number, Mark][]): Promise<void> {
    const now = this.#settings.now();
    const done = marks.filter(([, m]) => m.kind === 'done').map(([id]) => id);
    const write = async () => {
      await completeEffects(this.#raw, done, now);
      for (const [id, m] of marks) {
        if (m.kind === 'fail') await failEffect(this.db, id, m.error, m.retryAt, now);
        if (m.kind === 'step') await this.#retryStep(id, m);
      }
    };
    await withDeadline(write(), this.#settings.markTimeoutMs, 'writing effect outcomes');
    for (const [id] of marks) this.#held.delete(id);
  }

  /** A kept step, tried again: a store error keeps it (a bounded number of times), anything else fails the effect. */
  async #retryStep(id: number, mark: Extract<Mark, { kind: 'step' }>): Promise<void> {
    try {
      await this.#steps?.(mark.row, mark.end);
    } catch (cause) {
      if (isPermanent(cause) || mark.tries >= MAX_STEP_TRIES) return this.#failStep(id, cause);
      mark.tries++;
      throw cause;
    }
  }
}
