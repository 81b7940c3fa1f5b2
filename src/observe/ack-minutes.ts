import type { NormalizedEvent } from '../core/event.js';
import type { Taken } from '../pipeline/take-delivery.js';

const MINUTE_MS = 60_000;
/** Minutes kept: the charts page shows the last hour. */
export const ACK_MINUTES = 60;
/** The first bucket's upper bound: acks this fast all count as 0.25 ms. */
const FLOOR_MS = 0.25;
/** Buckets per doubling: each bucket's upper bound is 2^(1/3) ≈ 1.26 times its lower one. */
const PER_DOUBLING = 3;
/** Bucket upper bounds from 0.25 ms to 32.8 s (0.25 × 2^17); one more bucket holds anything slower. */
const BOUNDS = Array.from({ length: 17 * PER_DOUBLING + 1 }, (_, i) => FLOOR_MS * 2 ** (i / PER_DOUBLING));
const BUCKETS = BOUNDS.length + 1;
/** A bucket's estimate: the geometric middle of its bounds (the first: its bound, the overflow: the last bound). */
const ESTIMATES = Array.from({ length: BUCKETS }, (_, i) =>
  i === 0
    ? FLOOR_MS
    : i === BOUNDS.length
      ? (BOUNDS.at(-1) ?? 0)
      : (BOUNDS[i] ?? 0) / 2 ** (0.5 / PER_DOUBLING),
);

/** One minute of this process's acked deliveries: how many, and their ack times' p50 and p99 in ms. */
export interface AckMinute {
  minute: Date;
  deliveries: number;
  ackP50: number | null;
  ackP99: number | null;
}

/** The bucket `ms` falls in: bucket i holds (BOUNDS[i-1], BOUNDS[i]]. Log math, then a float fix-up. */
function bucketOf(ms: number): number {
  if (!(ms > FLOOR_MS)) return 0; // NaN too
  let i = Math.min(BOUNDS.length, Math.ceil(Math.log2(ms / FLOOR_MS) * PER_DOUBLING));
  if (ms <= (BOUNDS[i - 1] ?? 0)) i--;
  else if (i < BOUNDS.length && ms > (BOUNDS[i] ?? Number.POSITIVE_INFINITY)) i++;
  return i;
}

/**
 * This process's ack times per minute for the last 60 minutes, kept for the inspector's charts
 * when deliveries' rows carry no ack time (DELIVERY_PAYLOADS off). A ring of 60 minute slots, each
 * a histogram of 53 log-spaced buckets (0.25 ms to 32.8 s): a fixed 13 KB, and `add` is a log, an
 * index and an increment, allocating nothing.
 *
 * Percentiles are estimated: the nearest-rank percentile's bucket, reported as its bounds'
 * geometric middle, so within 12.3 % (a factor 2^(1/6)) of the exact nearest-rank value; under 0.25 ms
 * reads 0.25 ms, and over 32.8 s reads 32.8 s.
 */
export class AckMinutes {
  /** The epoch minute each slot holds (-1: none yet). */
  readonly #minuteOf = new Float64Array(ACK_MINUTES).fill(-1);
  readonly #totals = new Uint32Array(ACK_MINUTES);
  readonly #counts = new Uint32Array(ACK_MINUTES * BUCKETS);

  /** Counts a delivery the pipeline took: acked ones only (not `unavailable` or `rejected`), no steps. */
  took(event: NormalizedEvent, taken: Taken, ackMs: number): void {
    if (taken.status === 'ack' && event.source !== 'step') this.add(ackMs);
  }

  /** Counts one ack of `ackMs` milliseconds in the minute of `at` (epoch ms); older than its slot's minute: dropped. */
  add(ackMs: number, at: number = Date.now()): void {
    const minute = Math.floor(at / MINUTE_MS);
    const slot = minute % ACK_MINUTES;
    const held = this.#minuteOf[slot] ?? -1;
    if (minute < held) return;
    if (minute > held) {
      this.#minuteOf[slot] = minute;
      this.#totals[slot] = 0;
      this.#counts.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS);
    }
    this.#totals[slot] = (this.#totals[slot] ?? 0) + 1;
    const i = slot * BUCKETS + bucketOf(ackMs);
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
  }

  /** The minutes with acks from `since`'s minute to `now`'s (at most the last 60), oldest first. */
  minutes(since: Date, now: Date = new Date()): AckMinute[] {
    const last = Math.floor(now.getTime() / MINUTE_MS);
    const first = Math.max(Math.floor(since.getTime() / MINUTE_MS), last - ACK_MINUTES + 1);
    const found: AckMinute[] = [];
    for (let slot = 0; slot < ACK_MINUTES; slot++) {
      const minute = this.#minuteOf[slot] ?? -1;
      const n = this.#totals[slot] ?? 0;
      if (minute < first || minute > last || n === 0) continue;
      found.push({
        minute: new Date(minute * MINUTE_MS),
        deliveries: n,
        ackP50: this.#percentile(slot, n, 0.5),
        ackP99: this.#percentile(slot, n, 0.99),
      });
    }
    return found.sort((a, b) => a.minute.getTime() - b.minute.getTime());
  }

  /** The `q` percentile (nearest rank) of slot `slot`'s `n` acks, from its buckets. */
  #percentile(slot: number, n: number, q: number): number | null {
    const rank = Math.max(1, Math.ceil(q * n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[slot * BUCKETS + i] ?? 0;
      if (seen >= rank) return ESTIMATES[i] ?? null;
    }
    return null;
  }
}
