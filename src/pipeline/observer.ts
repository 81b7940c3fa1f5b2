import type { NormalizedEvent } from '../core/event.js';
import type { DrainReport, Outcome } from './executor/executor.js';
import type { Taken } from './take-delivery.js';

/**
 * What metrics and traces see of the pipeline (src/observe). Each hook runs on the hot path: it
 * must not throw, and should only count (no I/O, nothing built per call that a counter does not need).
 */
export interface PipelineObserver {
  /** One delivery decided: `ackMs` from its arrival to the decision (the time its ack waited). */
  delivered(event: NormalizedEvent, taken: Taken, ackMs: number): void;
  /** Recording one delivery and its effects took `ms` (only deliveries with effects are recorded). */
  recorded(ms: number): void;
  /** The effects of `event` run after its ack; `event` null: run by a drain. */
  effects(event: NormalizedEvent | null, outcomes: readonly Outcome[]): void;
  /** Slack answered 429 for `method`; `lane`: its rate-limit tier (`post`, `tier3`, …). */
  rateLimited(lane: string, method: string): void;
  /** A drain ran (or failed: `report` null). */
  drained(report: DrainReport | null): void;
  /** A rotating bot token was refreshed (`ok`), or Slack refused to. */
  tokenRefreshed?(ok: boolean): void;
}

/** Several observers as one; none: undefined (the pipeline then calls nothing). */
export function observers(...list: (PipelineObserver | null | undefined)[]): PipelineObserver | undefined {
  const all = list.filter((o): o is PipelineObserver => o != null);
  if (all.length <= 1) return all[0];
  return {
    delivered: (event, taken, ackMs) => {
      for (const o of all) o.delivered(event, taken, ackMs);
    },
    recorded: (ms) => {
      for (const o of all) o.recorded(ms);
    },
    effects: (event, outcomes) => {
      for (const o of all) o.effects(event, outcomes);
    },
    rateLimited: (lane, method) => {
      for (const o of all) o.rateLimited(lane, method);
    },
    drained: (report) => {
      for (const o of all) o.drained(report);
    },
    tokenRefreshed: (ok) => {
      for (const o of all) o.tokenRefreshed?.(ok);
    },
  };
}
