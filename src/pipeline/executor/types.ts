import type { Effect } from '../../core/action.js';
import type { Logger } from '../../core/context.js';
import type { Workspace } from '../../db/installations.js';
import type { Claimed, Lease } from '../../db/outbox.js';
import type { EffectEnd } from '../../db/steps.js';
import type { RetryPolicy } from './retry-policy.js';

// The executor's vocabulary: what a runner gets and answers, how an effect ended, what a drain did.

/** Who an effect acts for, and which try this is (1 on the first). */
export interface EffectTarget extends Workspace {
  attempt: number;
  /** The outbox row's id: stable across the effect's tries (a task's idempotency key). */
  id: number;
}

/** Runs one effect and answers its result; throws on failure (an `EffectError` says whether to try again). */
export type EffectRunner<E extends Effect> = (effect: E, target: EffectTarget) => Promise<unknown>;

/** How one effect ended this time. */
export interface Outcome {
  id: number;
  effect: string;
  status: 'done' | 'retry' | 'failed';
  error?: string;
  ms: number;
  /** The delivery's row id (deliveries.id) and which try this was (1 on the first). */
  delivery: number;
  attempts: number;
}

export interface ExecutorOptions extends Partial<RetryPolicy> {
  /** Deliveries whose effects run at once after their ack; past it they queue (see `Gate`). */
  concurrency?: number;
  /** Deliveries a drain runs at once (a restart sends a crashed process's leftovers quickly). */
  drainConcurrency?: number;
  /** Deliveries older than this are pruned by `drain()`. */
  retentionMs?: number;
  /** Most effects claimed by one statement of `drain()`. */
  batch?: number;
  /** Who holds this executor's leases, and how long they last (default: no owner, expiry only). */
  lease?: Lease;
  /** Longest wait for one effect (default `EFFECT_MAX_MS`) and for writing an outcome. */
  effectTimeoutMs?: number;
  /** Longest wait for a streamed answer, which bounds itself (default `effectTimeoutMs`). */
  streamTimeoutMs?: number;
  markTimeoutMs?: number;
  now?: () => Date;
  logger?: Logger;
  /**
   * Ends an effect that names a step for `end` (`.then` on success, `.catch` on failure for good):
   * records the step with the effect's end in one statement and runs it (the pipeline's
   * `continueWith`). False when the effect names no step for this end: the executor marks it itself.
   */
  steps?: (row: Claimed, end: EffectEnd) => Promise<boolean>;
  /**
   * Slack's rate limits (src/core/rate-limits.ts): how long an effect must wait for its lane, with
   * its slot taken (0: now). A lane that keeps its order (a channel's messages) first waits for the
   * effect's turn, saying so through `turn.waiting()`, and answers `'blocked'` if it did not come by
   * `turn.until`. While it waits it holds no place of the executor's, so other lanes run.
   */
  pace?: (effect: Effect, target: EffectTarget, turn: PaceTurn) => Promise<number | 'blocked'>;
  /** Each effect a drain ran, as it ended (metrics: `PipelineObserver.effects`). */
  drained?: (outcome: Outcome) => void;
}

/** How long an effect may wait for its turn in its lane, and how it says that it waits. */
export interface PaceTurn {
  /** Epoch ms: past it the effect goes back to the outbox, due soon, keeping its place. */
  until: number;
  /** Called once when it must wait for an earlier effect of its lane. */
  waiting(): void;
}

/** What a drain did. */
export interface DrainReport {
  done: number;
  retried: number;
  failed: number;
  pruned: number;
  /** The effects that failed for good in this drain, when any did (each is logged: see `logDrain`). */
  failures?: Outcome[];
}
