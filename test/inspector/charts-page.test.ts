import { describe, expect, it } from 'vitest';
import type { DeliveryMinute } from '../../src/db/observe.js';
import { ackPoints } from '../../src/inspector/charts-page.js';
import type { AckMinute } from '../../src/observe/ack-minutes.js';

const T = Date.UTC(2026, 11, 7, 12, 0, 0);
const at = (minute: number) => new Date(T + minute * 60_000);
const row = (minute: number, ackP50: number | null, ackP99: number | null): DeliveryMinute => ({
  minute: at(minute),
  deliveries: 4,
  ackP50,
  ackP99,
});
const mem = (minute: number, ackP50: number, ackP99: number): AckMinute => ({
  minute: at(minute),
  deliveries: 9,
  ackP50,
  ackP99,
});

describe('ackPoints', () => {
  it('takes this process’s figures when the rows carry no ack time (DELIVERY_PAYLOADS off)', () => {
    const { points, source } = ackPoints(
      [row(0, null, null), row(1, null, null)],
      [mem(1, 3, 8), mem(0, 2, 5)],
    );
    expect(source).toBe('process');
    expect(points.map((p) => [p.minute, p.ackP50, p.ackP99])).toEqual([
      [at(0), 2, 5],
      [at(1), 3, 8],
    ]);
  });

  it('prefers the recorded rows’ figures, and fills a minute without a row from this process', () => {
    const { points, source } = ackPoints([row(0, 1.5, 4)], [mem(0, 2, 5), mem(2, 3, 8)]);
    expect(source).toBe('both');
    expect(points.map((p) => [p.minute, p.ackP50, p.ackP99])).toEqual([
      [at(0), 1.5, 4],
      [at(2), 3, 8],
    ]);
  });

  it('says the rows alone when this process has nothing they lack, and none when nobody has a figure', () => {
    expect(ackPoints([row(0, 1.5, 4)], [mem(0, 2, 5)]).source).toBe('rows');
    expect(ackPoints([row(0, null, null)], []).source).toBe('none');
  });
});
