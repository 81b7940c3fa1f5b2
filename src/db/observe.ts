import { sql } from 'drizzle-orm';
import * as z from 'zod';
import type { Database } from './database.js';
import { iso } from './outbox.js';
import { rows } from './rows.js';

/** The outbox at one moment: effects waiting or running, and how long the oldest waiting one has. */
export interface OutboxState {
  pending: number;
  running: number;
  /** Seconds since the delivery of the oldest pending effect arrived; 0 when none waits. */
  oldestPendingSeconds: number;
}

const StateRow = z.object({
  pending: z.coerce.number(),
  running: z.coerce.number(),
  oldest: z.coerce.number().nullable(),
});

/** The outbox's depth and oldest pending age, in one statement (a metrics scrape). */
export async function outboxState(db: Database): Promise<OutboxState> {
  const result = await db.execute(sql`
    select count(*) filter (where o.status = 'pending')::int as pending,
           count(*) filter (where o.status = 'running')::int as running,
           extract(epoch from now() - min(d.received_at) filter (where o.status = 'pending'))::float8 as oldest
    from outbox o join deliveries d on d.id = o.delivery_id
    where o.status in ('pending', 'running')`);
  const [row] = rows(result, StateRow);
  return {
    pending: row?.pending ?? 0,
    running: row?.running ?? 0,
    oldestPendingSeconds: Math.max(0, row?.oldest ?? 0),
  };
}

/** One minute of recorded deliveries: how many, and their ack times' median and 99th percentile. */
export interface DeliveryMinute {
  minute: Date;
  deliveries: number;
  ackP50: number | null;
  ackP99: number | null;
}

const DeliveryMinuteRow = z.object({
  minute: z.coerce.date(),
  n: z.coerce.number(),
  p50: z.coerce.number().nullable(),
  p99: z.coerce.number().nullable(),
});

/** Recorded deliveries (those with effects) per minute since `since`, oldest first. */
export async function deliveriesPerMinute(db: Database, since: Date): Promise<DeliveryMinute[]> {
  const result = await db.execute(sql`
    select date_trunc('minute', received_at) as minute, count(*)::int as n,
           percentile_cont(0.5) within group (order by ack_ms) as p50,
           percentile_cont(0.99) within group (order by ack_ms) as p99
    from deliveries where received_at >= ${iso(since)}::timestamptz
    group by 1 order by 1`);
  return rows(result, DeliveryMinuteRow).map((r) => ({
    minute: r.minute,
    deliveries: r.n,
    ackP50: r.p50,
    ackP99: r.p99,
  }));
}

const CountMinuteRow = z.object({ minute: z.coerce.date(), n: z.coerce.number() });

/** Effects that failed for good per minute (by when they failed) since `since`, oldest first. */
export async function failedEffectsPerMinute(
  db: Database,
  since: Date,
): Promise<{ minute: Date; failed: number }[]> {
  const result = await db.execute(sql`
    select date_trunc('minute', updated_at) as minute, count(*)::int as n
    from outbox where status = 'failed' and updated_at >= ${iso(since)}::timestamptz
    group by 1 order by 1`);
  return rows(result, CountMinuteRow).map((r) => ({ minute: r.minute, failed: r.n }));
}
