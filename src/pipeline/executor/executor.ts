import type * as z from 'zod';
import { type Effect, effectName } from '../../core/action.js';
import type { Logger } from '../../core/context.js';
import { EffectError } from '../../core/errors.js';
import { batched } from '../../db/batch.js';
import type { Database } from '../../db/database.js';
import type { Workspace } from '../../db/installations.js';
import {
  type Claimed,
  claimEffects,
  completeEffects,
  failEffect,
  LEASE_MS,
  pruneDeliveries,
  releaseEffects,
} from '../../db/outbox.js';
import { Gate } from './gate.js';
import { DEFAULT_RETRY, nextAttemptAt, type RetryPolicy } from './retry-policy.js';

/** Who an effect acts for, and which try this is (1 on the first). */
export interface EffectTarget extends Workspace {
  attempt: number;
}

/** Runs one effect; throws on failure (an `EffectError` says whether to try again). */
export type EffectRunner<E extends Effect> = (effect: E, target: EffectTarget) => Promise<void>;

/** How one effect ended this time. */
export interface Outcome {
  id: number;
  effect: string;
  status: 'done' | 'retry' | 'failed';
  error?: string;
  ms: number;
}

export interface ExecutorOptions extends Partial<RetryPolicy> {
  /** Deliveries whose effects run at once; past it they queue (see `Gate`). */
  concurrency?: number;
  /** Deliveries older than this are pruned by `drain()`. */
  retentionMs?: number;
  /** Effects claimed per round of `drain()`. */
  batch?: number;
  now?: () => Date;
  logger?: Logger;
}

/** What a drain did. */
export interface DrainReport {
  done: number;
  retried: number;
  failed: number;
  pruned: number;
}

const DAY_MS = 86_400_000;

/**
 * Runs recorded effects after the ack, marks each done or failed, and drains leftovers. Effects
 * recorded by this process keep their type; those claimed from the outbox are parsed by `schema`.
 */
export class Executor<E extends Effect> {
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Marks an effect done; completions that arrive together are written in one statement. */
  readonly #complete: (id: number) => Promise<unknown>;
  readonly #gate: Gate;
  readonly #retry: RetryPolicy;
  readonly #retentionMs: number;
  readonly #batch: number;
  readonly #now: () => Date;
  readonly #logger: Logger;

  constructor(
    private readonly db: Database,
    private readonly runner: EffectRunner<E>,
    private readonly schema: z.ZodType<E>,
    options: ExecutorOptions = {},
  ) {
    this.#retry = {
      maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    this.#gate = new Gate(options.concurrency ?? 32);
    this.#retentionMs = options.retentionMs ?? 7 * DAY_MS;
    this.#batch = options.batch ?? 50;
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger ?? console;
    this.#complete = batched((ids: number[]) => completeEffects(this.db, ids, this.#now()).then(() => ids));
  }

  /**
   * Runs effects the caller already holds (recorded with a lease), in order. With a `deadline`
   * (epoch ms) none starts after it: the rest go back to the outbox for a drain (Lambda).
   */
  runClaimed(claimed: Claimed<E>[], options: { deadline?: number } = {}): Promise<Outcome[]> {
    return this.#track(
      (async () => {
        // Past half the lease, queued effects are left to the drain that takes them once it ends.
        const staleAt = Date.now() + LEASE_MS / 2;
        await this.#gate.enter();
        try {
          return await this.#runInOrder(claimed, { ...options, staleAt });
        } finally {
          this.#gate.leave();
        }
      })(),
    );
  }

  /** Runs every due effect (after a crash, a retry delay, or another process's expired lease), then prunes. */
  drain(): Promise<DrainReport> {
    return this.#track(
      (async () => {
        const report: DrainReport = { done: 0, retried: 0, failed: 0, pruned: 0 };
        for (;;) {
          const claimed = await claimEffects(this.db, { now: this.#now(), limit: this.#batch });
          for (const row of claimed) {
            const outcome = await this.#runStored(row);
            if (outcome.status === 'done') report.done++;
            else if (outcome.status === 'retry') report.retried++;
            else report.failed++;
          }
          if (claimed.length < this.#batch) break;
        }
        const before = new Date(this.#now().getTime() - this.#retentionMs);
        report.pruned = await pruneDeliveries(this.db, before);
        return report;
      })(),
    );
  }

  /** Resolves when every run started so far has finished (for a graceful shutdown or a Worker's waitUntil). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** A delivery's effects, one after another, none started after the deadline. */
  async #runInOrder(
    claimed: Claimed<E>[],
    options: { deadline?: number; staleAt: number },
  ): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const [i, row] of claimed.entries()) {
      const rest = () => claimed.slice(i).map((r) => r.id);
      if (Date.now() >= options.staleAt) {
        this.#logger.warn('effects waited too long to run here; a drain takes them when their lease ends', {
          ids: rest().join(','),
        });
        break;
      }
      if (options.deadline !== undefined && Date.now() >= options.deadline) {
        await releaseEffects(this.db, rest(), this.#now());
        break;
      }
      outcomes.push(await this.#runOne(row));
    }
    return outcomes;
  }

  /** An effect claimed from the outbox: parsed first, since the row may predate this code. */
  #runStored(row: Claimed): Promise<Outcome> {
    const parsed = this.schema.safeParse(row.effect);
    if (parsed.success) return this.#runOne({ ...row, effect: parsed.data });
    const error = new EffectError('outbox entry is not an effect this version can run', { retryable: false });
    return this.#failed(row, 'unknown', error, 0);
  }

  async #runOne(row: Claimed<E>): Promise<Outcome> {
    const started = performance.now();
    const name = effectName(row.effect);
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      await this.runner(row.effect, {
        teamId: row.team_id,
        enterpriseId: row.enterprise_id,
        attempt: row.attempts,
      });
    } catch (error) {
      return this.#failed(row, name, error, ms());
    }
    try {
      await this.#complete(row.id);
    } catch (cause) {
      // It ran; only the mark is missing. When the lease ends a drain may run it once more.
      this.#logger.error('an effect ran but could not be marked done', { id: row.id, cause: String(cause) });
    }
    return { id: row.id, effect: name, status: 'done', ms: ms() };
  }

  /** Records a failed attempt: retry later with backoff, or failed for good. */
  async #failed(row: Claimed, name: string, error: unknown, ms: number): Promise<Outcome> {
    const message = error instanceof Error ? error.message : String(error);
    const retryAt = nextAttemptAt(this.#retry, row.attempts, error, this.#now());
    await failEffect(this.db, row.id, message, retryAt, this.#now()).catch((cause) =>
      this.#logger.error('could not record an effect failure; it will be retried when its lease ends', {
        id: row.id,
        cause: String(cause),
      }),
    );
    return { id: row.id, effect: name, status: retryAt ? 'retry' : 'failed', error: message, ms };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const forget = () => this.#inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
