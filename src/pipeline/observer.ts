import type { NormalizedEvent } from '../core/event.js';
import type { DrainReport, Outcome } from './executor/executor.js';
import type { Taken } from './take-delivery.js';

/** The outbox effect whose end a step continues: its id and its delivery's row. */
export interface StepOrigin {
  effect: number;
  delivery: number;
}

/**
 * What metrics and traces see of the pipeline (src/observe). Each hook runs on the hot path: it
 * must not throw, and should only count (no I/O, nothing built per call that a counter does not need).
 */
export interface PipelineObserver {
  /** One delivery decided: `ackMs` from its arrival to the decision (the time its ack waited). */
  delivered(event: NormalizedEvent, taken: Taken, ackMs: number): void;
  /** Routing `event` (the router and the handler it ran, `handler`: its `kind:name`) took `ms`. */
  routed?(event: NormalizedEvent, ms: number, handler: string | null): void;
  /**
   * Recording `event` and its effects took `ms` (only deliveries with effects are recorded);
   * `row`: its deliveries.id, null when it was a duplicate.
   */
  recorded(ms: number, event: NormalizedEvent, row: number | null): void;
  /**
   * A step ran when outbox effect `from.effect` (of delivery row `from.delivery`) ended: routed,
   * recorded (as delivery row `row`, null: nothing new) in `ms`; its effects follow through `effects`.
   */
  stepped?(event: NormalizedEvent, from: StepOrigin, taken: Taken, ms: number, row: number | null): void;
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
    routed: (event, ms, handler) => {
      for (const o of all) o.routed?.(event, ms, handler);
    },
    recorded: (ms, event, row) => {
      for (const o of all) o.recorded(ms, event, row);
    },
    stepped: (event, from, taken, ms, row) => {
      for (const o of all) o.stepped?.(event, from, taken, ms, row);
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
