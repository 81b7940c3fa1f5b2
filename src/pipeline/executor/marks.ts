import type { Logger } from '../../core/context.js';
import { BatchQueue } from '../../db/batch.js';
import type { Claimed } from '../../db/outbox.js';
import type { EffectEnd } from '../../db/steps.js';
import { withDeadline } from '../deadline.js';

/** An outcome the database has not taken yet: done, failed, or ended with the step it feeds. */
export type Mark =
  | { kind: 'done' }
  | { kind: 'fail'; error: string; retryAt: Date | null }
  | { kind: 'step'; row: Claimed; end: EffectEnd; tries: number };

/** How often marks that could not be written are tried again. */
export const MARK_RETRY_MS = 500;

/**
 * Outcomes whose write failed (the database dropped or hung), kept in memory and written again
 * until it takes them. Their effects stay leased to this process meanwhile, and a live owner's
 * leases are never taken by another: an effect that ran is not run again because its "done" was lost.
 */
export class PendingMarks {
  readonly #marks = new Map<number, Mark>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | null = null;

  constructor(
    private readonly write: (marks: [number, Mark][]) => Promise<void>,
    private readonly logger: Logger,
    private readonly everyMs = MARK_RETRY_MS,
  ) {}

  /** Keeps `mark` for `id` and schedules a write. */
  add(id: number, mark: Mark): void {
    if (this.#marks.size === 0)
      this.logger.warn('effect outcomes are kept in memory until the store takes them');
    this.#marks.set(id, mark);
    this.#schedule();
  }

  has(id: number): boolean {
    return this.#marks.has(id);
  }

  get size(): number {
    return this.#marks.size;
  }

  /** Writes every kept mark once; those written are forgotten, the rest are tried again later. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushOnce().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  /** Stops the retries (at shutdown). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #flushOnce(): Promise<void> {
    const batch = [...this.#marks];
    if (batch.length === 0) return;
    try {
      await this.write(batch);
    } catch {
      this.#schedule();
      return;
    }
    for (const [id, mark] of batch) if (this.#marks.get(id) === mark) this.#marks.delete(id);
    if (this.#marks.size === 0)
      this.logger.info('effect outcomes written after the store came back', { n: batch.length });
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.everyMs);
    this.#timer.unref();
  }
}

/** How `DoneMarks` writes and what it tells of each batch. */
export interface DoneMarksOptions {
  /** Marks `ids` done, in one statement. */
  write: (ids: number[]) => Promise<unknown>;
  /** Longest wait for one batch's statement. */
  timeoutMs: number;
  written: (ids: number[]) => void;
  /** The store did not take them (an error, or no answer in `timeoutMs`). */
  failed: (ids: number[], cause: unknown) => void;
}

/**
 * "Done" marks written in batches: the ids that arrive together go in one statement, one batch
 * at a time (group commit, as the recorder's). One promise per mark; one deadline per batch.
 */
export class DoneMarks {
  readonly #queue: BatchQueue<{ id: number; settled: () => void }>;

  constructor(options: DoneMarksOptions) {
    this.#queue = new BatchQueue(async (batch) => {
      const ids = batch.map((mark) => mark.id);
      try {
        await withDeadline(options.write(ids), options.timeoutMs, 'writing an effect outcome');
        options.written(ids);
      } catch (cause) {
        options.failed(ids, cause);
      } finally {
        for (const mark of batch) mark.settled(); // even when `written` or `failed` threw
      }
    });
  }

  /** Queues the "done" of `id`; resolves once `written` or `failed` heard of it. Never rejects. */
  add(id: number): Promise<void> {
    return new Promise((settled) => this.#queue.push({ id, settled }));
  }
}
