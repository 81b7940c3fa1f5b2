import { type StoredEffect, StoredEffectSchema } from './core/action.js';
import type { Logger } from './core/context.js';
import { EffectError } from './core/errors.js';
import { batched } from './db/batch.js';
import type { Database } from './db/database.js';
import {
  type Claimed,
  claimEffects,
  completeEffects,
  failEffect,
  LEASE_MS,
  pruneDeliveries,
  releaseEffects,
} from './db/outbox.js';

/** Who an effect acts for. */
export interface EffectTarget {
  teamId: string | null;
  enterpriseId: string | null;
  /** 1 on the first try. */
  attempt: number;
}

/** Runs one effect: a Web API call, a response_url post or a store write. Throws on failure. */
export type EffectRunner = (effect: StoredEffect, target: EffectTarget) => Promise<void>;

/** How one effect ended this time. */
export interface Outcome {
  id: number;
  effect: string;
  status: 'done' | 'retry' | 'failed';
  error?: string;
  ms: number;
}

export interface ExecutorOptions {
  /** Tries before an effect is left `failed` for a person to see. */
  maxAttempts?: number;
  /**
   * Deliveries whose effects run at once. Past it they queue: acks, which have a deadline, keep
   * the CPU during a burst, and Slack is not sent thousands of calls in the same instant.
   */
  concurrency?: number;
  /** First retry delay; doubles each attempt up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Deliveries older than this are pruned by `drain()`. */
  retentionMs?: number;
  /** Effects claimed per round of `drain()`. */
  batch?: number;
  now?: () => Date;
  logger?: Logger;
}

const DAY_MS = 86_400_000;

/** What a drain did. */
export interface DrainReport {
  done: number;
  retried: number;
  failed: number;
  pruned: number;
}

/** Runs recorded effects after the ack, marks each done or failed, and drains leftovers. */
export class Executor {
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Marks an effect done; completions that arrive together are written in one statement. */
  readonly #complete: (id: number) => Promise<unknown>;
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  readonly #options: Required<Omit<ExecutorOptions, 'logger'>> & { logger: Logger };

  constructor(
    private readonly db: Database,
    private readonly runner: EffectRunner,
    options: ExecutorOptions = {},
  ) {
    this.#options = {
      maxAttempts: 5,
      baseDelayMs: 2_000,
      maxDelayMs: 10 * 60_000,
      retentionMs: 7 * DAY_MS,
      batch: 50,
      concurrency: 32,
      now: () => new Date(),
      logger: console,
      ...options,
    };
    this.#complete = batched((ids: number[]) =>
      completeEffects(this.db, ids, this.#options.now()).then(() => ids),
    );
  }

  /**
   * Runs effects the caller already holds (recorded with a lease), in order. With a `deadline`
   * (epoch ms) none starts after it: the rest go back to the outbox for a drain (Lambda).
   */
  runClaimed(claimed: Claimed[], options: { deadline?: number } = {}): Promise<Outcome[]> {
    return this.#track(
      (async () => {
        // Past half the lease, queued effects are left to the drain that takes them once it ends.
        const staleAt = Date.now() + LEASE_MS / 2;
        await this.#slot();
        try {
          return await this.#runInOrder(claimed, { ...options, staleAt });
        } finally {
          this.#release();
        }
      })(),
    );
  }

  /** A delivery's effects, one after another, none started after the deadline. */
  async #runInOrder(claimed: Claimed[], options: { deadline?: number; staleAt: number }): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const [i, row] of claimed.entries()) {
      if (Date.now() >= options.staleAt) {
        this.#options.logger.warn(
          'effects waited too long to run here; a drain takes them when their lease ends',
          {
            ids: claimed
              .slice(i)
              .map((r) => r.id)
              .join(','),
          },
        );
        break;
      }
      if (options.deadline !== undefined && Date.now() >= options.deadline) {
        await releaseEffects(
          this.db,
          claimed.slice(i).map((r) => r.id),
          this.#options.now(),
        );
        break;
      }
      outcomes.push(await this.#runOne(row));
    }
    return outcomes;
  }

  /** Waits for one of `concurrency` places. */
  #slot(): Promise<void> {
    if (this.#running < this.#options.concurrency) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }

  /** Runs every due effect (after a crash, a retry delay, or another process's expired lease), then prunes. */
  drain(): Promise<DrainReport> {
    return this.#track(
      (async () => {
        const report: DrainReport = { done: 0, retried: 0, failed: 0, pruned: 0 };
        for (;;) {
          const outcomes = await this.#claimAndRun({ limit: this.#options.batch });
          for (const outcome of outcomes) {
            if (outcome.status === 'done') report.done++;
            else if (outcome.status === 'retry') report.retried++;
            else report.failed++;
          }
          if (outcomes.length < this.#options.batch) break;
        }
        const before = new Date(this.#options.now().getTime() - this.#options.retentionMs);
        report.pruned = await pruneDeliveries(this.db, before);
        return report;
      })(),
    );
  }

  /** Resolves when every run started so far has finished (for a graceful shutdown or a Worker's waitUntil). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    promise.then(
      () => this.#inFlight.delete(promise),
      () => this.#inFlight.delete(promise),
    );
    return promise;
  }

  async #claimAndRun(options: { limit: number }): Promise<Outcome[]> {
    const claimed = await claimEffects(this.db, { now: this.#options.now(), ...options });
    const outcomes: Outcome[] = [];
    for (const row of claimed) outcomes.push(await this.#runOne(row));
    return outcomes;
  }

  async #runOne(row: Claimed): Promise<Outcome> {
    const started = performance.now();
    const parsed = StoredEffectSchema.safeParse(row.action);
    const effect = parsed.success ? parsed.data : null;
    const name = !effect
      ? 'unknown'
      : effect.type === 'api'
        ? effect.method
        : effect.type === 'store'
          ? effect.op
          : 'respond';
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    try {
      if (!effect)
        throw new EffectError('outbox entry is not an effect this version can run', { retryable: false });
      await this.runner(effect, {
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
      this.#options.logger.error('an effect ran but could not be marked done', {
        id: row.id,
        cause: String(cause),
      });
    }
    return { id: row.id, effect: name, status: 'done', ms: ms() };
  }

  /** Records a failed attempt: retry later with backoff, or failed for good. */
  async #failed(row: Claimed, name: string, error: unknown, ms: number): Promise<Outcome> {
    const message = error instanceof Error ? error.message : String(error);
    const retryable = !(error instanceof EffectError) || error.retryable;
    const retryAt =
      retryable && row.attempts < this.#options.maxAttempts ? this.#retryAt(row.attempts, error) : null;
    await failEffect(this.db, row.id, message, retryAt, this.#options.now()).catch((cause) =>
      this.#options.logger.error(
        'could not record an effect failure; it will be retried when its lease ends',
        {
          id: row.id,
          cause: String(cause),
        },
      ),
    );
    return { id: row.id, effect: name, status: retryAt ? 'retry' : 'failed', error: message, ms };
  }

  #retryAt(attempts: number, error: unknown): Date {
    const backoff = Math.min(this.#options.baseDelayMs * 2 ** (attempts - 1), this.#options.maxDelayMs);
    const hinted = error instanceof EffectError && error.retryAfterMs !== undefined ? error.retryAfterMs : 0;
    return new Date(this.#options.now().getTime() + Math.max(backoff, hinted));
  }
}
