import { describe, expect, it } from 'vitest';
import { ACK_MINUTES, AckMinutes } from '../../src/observe/ack-minutes.js';
import type { Taken } from '../../src/pipeline/take-delivery.js';
import { fixtureEvent } from '../helpers/events.js';

const MINUTE = 60_000;
/** A minute boundary, so `T + n * MINUTE` is the start of minute n. */
const T = Date.UTC(2026, 11, 7, 12, 0, 0);
/** The stated error: an estimate is within 2^(1/6) of the exact nearest-rank percentile. */
const BOUND = 2 ** (1 / 6) - 1;

/** The nearest-rank `q` percentile of `values`. */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN;
}

/** A repeatable sample of `n` ack times spread log-uniformly from 0.3 ms to 3 s. */
function sample(n: number, seed = 7): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return 0.3 * 10_000 ** (x / 2 ** 31);
  });
}

const acked: Taken = {
  status: 'ack',
  body: null,
  handler: null,
  recorded: 'none',
  effects: [],
  error: null,
  after: async () => [],
};

describe('AckMinutes', () => {
  it('estimates p50 and p99 within 12.3 % of the exact percentiles of a known sample', () => {
    for (const seed of [1, 7, 42, 1234]) {
      const values = sample(997, seed);
      const acks = new AckMinutes();
      for (const ms of values) acks.add(ms, T + 30_000);
      const [minute] = acks.minutes(new Date(T), new Date(T + 30_000));
      expect(minute?.deliveries).toBe(997);
      for (const [q, estimate] of [
        [0.5, minute?.ackP50],
        [0.99, minute?.ackP99],
      ] as const) {
        const truth = exact(values, q);
        expect(Math.abs((estimate ?? 0) - truth) / truth).toBeLessThanOrEqual(BOUND);
      }
    }
  });

  it('reads one repeated value back within the bound, and a value on a bucket bound in that bucket', () => {
    const acks = new AckMinutes();
    for (let i = 0; i < 10; i++) acks.add(4, T); // 4 ms = 0.25 × 2^4: a bucket's upper bound
    const [minute] = acks.minutes(new Date(T), new Date(T));
    expect(minute?.ackP50).toBeCloseTo(4 / 2 ** (1 / 6), 6);
    expect(minute?.ackP99).toBeCloseTo(4 / 2 ** (1 / 6), 6);
  });

  it('keeps each minute apart, oldest first', () => {
    const acks = new AckMinutes();
    acks.add(2, T + 2 * MINUTE);
    acks.add(1, T);
    acks.add(1, T + 59_999);
    acks.add(100, T + MINUTE);
    const minutes = acks.minutes(new Date(T), new Date(T + 2 * MINUTE));
    expect(minutes.map((m) => [m.minute.getTime(), m.deliveries])).toEqual([
      [T, 2],
      [T + MINUTE, 1],
      [T + 2 * MINUTE, 1],
    ]);
    expect(acks.minutes(new Date(T + MINUTE), new Date(T + 2 * MINUTE))).toHaveLength(2);
    expect(acks.minutes(new Date(T), new Date(T + MINUTE))).toHaveLength(2);
  });

  it('keeps the last 60 minutes: a minute’s slot is cleared when the minute an hour later reuses it', () => {
    const acks = new AckMinutes();
    for (let m = 0; m < 70; m++) acks.add(5, T + m * MINUTE);
    const now = new Date(T + 69 * MINUTE);
    const minutes = acks.minutes(new Date(0), now);
    expect(minutes).toHaveLength(ACK_MINUTES);
    expect(minutes[0]?.minute.getTime()).toBe(T + 10 * MINUTE);
    expect(minutes.every((m) => m.deliveries === 1)).toBe(true);
    // Asked an hour later with nothing new: nothing is left in the last 60 minutes.
    expect(acks.minutes(new Date(0), new Date(T + 129 * MINUTE))).toEqual([]);
  });

  it('drops an ack older than the minute now in its slot', () => {
    const acks = new AckMinutes();
    acks.add(5, T + 60 * MINUTE);
    acks.add(5, T); // the same slot, an hour earlier
    const minutes = acks.minutes(new Date(0), new Date(T + 60 * MINUTE));
    expect(minutes.map((m) => [m.minute.getTime(), m.deliveries])).toEqual([[T + 60 * MINUTE, 1]]);
  });

  it('counts acked deliveries only: not unavailable, rejected, nor steps', () => {
    const acks = new AckMinutes();
    const event = fixtureEvent('event_app_mention');
    acks.took(event, acked, 3);
    acks.took(event, { status: 'unavailable', error: 'store down' }, 2_000);
    acks.took(event, { status: 'rejected', error: 'too long' }, 4);
    acks.took({ ...event, source: 'step' }, acked, 9);
    const minutes = acks.minutes(new Date(Date.now() - MINUTE));
    expect(minutes.reduce((n, m) => n + m.deliveries, 0)).toBe(1);
    expect(minutes.at(-1)?.ackP99).toBeCloseTo(3, 0);
  });
});
