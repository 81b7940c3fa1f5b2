import { type SQL, sql } from 'drizzle-orm';
import * as z from 'zod';
import type { Database, RawSql } from './database.js';
import { iso } from './outbox.js';
import { rows } from './rows.js';
import { storableJson } from './sqlstate.js';
import type { StreamCall, StreamMessage, StreamRow } from './streams.js';

/** What the inspector adds to a recorded delivery after its ack (the columns of migration 0002). */
export interface Annotation {
  dedupKey: string;
  name: string;
  source: string;
  channelId: string | null;
  userId: string | null;
  handler: string | null;
  ackMs: number;
  /** The redacted normalized event, or null when DELIVERY_PAYLOADS is off. */
  event: unknown;
}

const ANNOTATE_SQL = `
  update deliveries d
  set name = x.name, source = x.source, channel_id = x.channel_id, user_id = x.user_id,
      handler = x.handler, ack_ms = x.ack_ms, event = x.event
  from jsonb_to_recordset($1::text::jsonb)
    as x(dedup_key text, name text, source text, channel_id text, user_id text, handler text,
         ack_ms real, event jsonb)
  where d.dedup_key = x.dedup_key`;

/** Fills the inspector's columns of recorded deliveries, in one statement (batched, after the ack). */
export async function annotateDeliveries(raw: RawSql, items: Annotation[]): Promise<void> {
  if (items.length === 0) return;
  const input = items.map((a) => ({
    dedup_key: a.dedupKey,
    name: a.name,
    source: a.source,
    channel_id: a.channelId,
    user_id: a.userId,
    handler: a.handler,
    ack_ms: a.ackMs,
    event: a.event,
  }));
  await raw(ANNOTATE_SQL, [storableJson(input)]);
}

const date = z.union([z.date(), z.string()]).transform((v) => new Date(v));
const EffectRowSchema = z.object({
  id: z.coerce.number(),
  delivery_id: z.coerce.number(),
  position: z.coerce.number(),
  action: z.unknown(),
  status: z.string(),
  attempts: z.coerce.number(),
  last_error: z.string().nullable(),
  next_attempt_at: date,
  manual_retries: z.coerce.number(),
  updated_at: date,
});
/** One outbox row as the inspector shows it. */
export type EffectRow = z.infer<typeof EffectRowSchema>;

const DeliveryRowSchema = z.object({
  id: z.coerce.number(),
  dedup_key: z.string(),
  kind: z.string(),
  team_id: z.string().nullable(),
  received_at: date,
  name: z.string().nullable(),
  source: z.string().nullable(),
  channel_id: z.string().nullable(),
  user_id: z.string().nullable(),
  handler: z.string().nullable(),
  ack_ms: z.coerce.number().nullable(),
  event: z.unknown(),
});
/** One recorded delivery and its effects (and, read one at a time, its stream effects' streams). */
export type DeliveryRow = z.infer<typeof DeliveryRowSchema> & { effects: EffectRow[]; streams?: StreamRow[] };

/** Filters for `listDeliveries`; every one optional. */
export interface DeliveryFilter {
  kind?: string;
  /** failed: an effect failed or waits for a retry; pending: an effect not finished yet. */
  status?: 'failed' | 'pending';
  team?: string;
  channel?: string;
  /** Matched (case-insensitive) against the key, name, handler and stored event. */
  text?: string;
  since?: Date;
  /** Only deliveries with a larger id (for tail). */
  afterId?: number;
  limit?: number;
  offset?: number;
}

/** Recorded deliveries, newest first (oldest first with `afterId`), each with its effects. */
export async function listDeliveries(db: Database, filter: DeliveryFilter = {}): Promise<DeliveryRow[]> {
  const where: SQL[] = [sql`true`];
  if (filter.kind) where.push(sql`d.kind = ${filter.kind}`);
  if (filter.team) where.push(sql`d.team_id = ${filter.team}`);
  if (filter.channel) where.push(sql`d.channel_id = ${filter.channel}`);
  if (filter.since) where.push(sql`d.received_at >= ${iso(filter.since)}::timestamptz`);
  if (filter.afterId !== undefined) where.push(sql`d.id > ${filter.afterId}`);
  if (filter.text) {
    const like = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(sql`(d.dedup_key ilike ${like} or d.name ilike ${like} or d.handler ilike ${like}
      or d.event::text ilike ${like})`);
  }
  if (filter.status === 'failed') {
    where.push(sql`exists (select 1 from outbox o where o.delivery_id = d.id
      and (o.status = 'failed' or (o.status = 'pending' and o.last_error is not null)))`);
  } else if (filter.status === 'pending') {
    where.push(
      sql`exists (select 1 from outbox o where o.delivery_id = d.id and o.status in ('pending', 'running'))`,
    );
  }
  const order = filter.afterId !== undefined ? sql`d.id asc` : sql`d.id desc`;
  const result = await db.execute(sql`
    select d.id, d.dedup_key, d.kind, d.team_id, d.received_at, d.name, d.source, d.channel_id, d.user_id,
           d.handler, d.ack_ms, d.event
    from deliveries d where ${sql.join(where, sql` and `)}
    order by ${order} limit ${filter.limit ?? 50} offset ${filter.offset ?? 0}`);
  return withEffects(db, rows(result, DeliveryRowSchema));
}

/** One recorded delivery by its id or its dedup key, with its effects. */
export async function getDelivery(
  db: Database,
  ref: { id: number } | { key: string },
): Promise<DeliveryRow | null> {
  const where = 'id' in ref ? sql`id = ${ref.id}` : sql`dedup_key = ${ref.key}`;
  const result = await db.execute(sql`
    select id, dedup_key, kind, team_id, received_at, name, source, channel_id, user_id, handler, ack_ms, event
    from deliveries where ${where}`);
  const [row] = await withEffects(db, rows(result, DeliveryRowSchema));
  if (!row) return null;
  return {
    ...row,
    streams: await streamsOf(
      db,
      row.effects.map((e) => e.id),
    ),
  };
}

// jsonb comes back parsed from one driver and as text from the other.
const jsonb = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' ? JSON.parse(value) : value), schema);
const StreamMessageSchema = z.object({
  ts: z.string(),
  at: z.string(),
  attempt: z.number(),
  end: z.enum(['complete', 'continued', 'interrupted', 'stopped', 'time_limit']).nullable(),
}) satisfies z.ZodType<StreamMessage>;
const StreamCallSchema = z.object({
  call: z.enum(['start', 'append', 'stop', 'close']),
  at: z.string(),
  ms: z.number(),
  ts: z.string().nullable(),
  chars: z.number(),
  parts: z.number(),
  text: z.string(),
  error: z.string().optional(),
}) satisfies z.ZodType<StreamCall>;
const StreamRowSchema = z
  .object({
    outbox_id: z.coerce.number(),
    channel: z.string(),
    thread_ts: z.string(),
    status: z.enum(['streaming', 'complete', 'stopped', 'time_limit', 'failed']),
    messages: jsonb(z.array(StreamMessageSchema)),
    calls: jsonb(z.array(StreamCallSchema)),
    stop_requested: z.boolean(),
    updated_at: date,
  })
  .transform(
    (r): StreamRow => ({
      outboxId: r.outbox_id,
      channel: r.channel,
      threadTs: r.thread_ts,
      status: r.status,
      messages: r.messages,
      calls: r.calls,
      stopRequested: r.stop_requested,
      updatedAt: r.updated_at.toISOString(),
    }),
  );

/** The streams (src/db/streams.ts) of these outbox rows, for the ones that are stream effects. */
export async function streamsOf(db: Database, outboxIds: number[]): Promise<StreamRow[]> {
  if (outboxIds.length === 0) return [];
  const result = await db.execute(sql`
    select outbox_id, channel, thread_ts, status, messages, calls,
           stop_requested_at is not null as stop_requested, updated_at
    from streams where outbox_id in (select jsonb_array_elements_text(${JSON.stringify(outboxIds)}::text::jsonb)::bigint)
    order by outbox_id`);
  return rows(result, StreamRowSchema);
}

async function withEffects(db: Database, list: z.infer<typeof DeliveryRowSchema>[]): Promise<DeliveryRow[]> {
  if (list.length === 0) return [];
  const ids = JSON.stringify(list.map((d) => d.id));
  const result = await db.execute(sql`
    select id, delivery_id, position, action, status, attempts, last_error, next_attempt_at, manual_retries, updated_at
    from outbox where delivery_id in (select jsonb_array_elements_text(${ids}::text::jsonb)::bigint)
    order by delivery_id, position`);
  const effects = rows(result, EffectRowSchema);
  return list.map((d) => ({ ...d, effects: effects.filter((e) => e.delivery_id === d.id) }));
}

/** Effect rows whose delivery has one of `keys`, by key (the inspector's ring joins them to its entries). */
export async function effectsByKey(db: Database, keys: string[]): Promise<Map<string, EffectRow[]>> {
  const byKey = new Map<string, EffectRow[]>();
  if (keys.length === 0) return byKey;
  const result = await db.execute(sql`
    select o.id, o.delivery_id, o.position, o.action, o.status, o.attempts, o.last_error, o.next_attempt_at,
           o.manual_retries, o.updated_at, d.dedup_key
    from outbox o join deliveries d on d.id = o.delivery_id
    where d.dedup_key in (select jsonb_array_elements_text(${JSON.stringify(keys)}::text::jsonb))
    order by o.delivery_id, o.position`);
  for (const { dedup_key, ...row } of rows(result, EffectRowSchema.extend({ dedup_key: z.string() }))) {
    byKey.set(dedup_key, [...(byKey.get(dedup_key) ?? []), row]);
  }
  return byKey;
}

/** An outbox row with its delivery's key, for the outbox view. */
export type OutboxRow = EffectRow & { dedup_key: string };

/** Effects not done: pending (waiting for a retry when they carry an error), running, failed; newest first. */
export async function listOutbox(db: Database, options: { limit?: number } = {}): Promise<OutboxRow[]> {
  const result = await db.execute(sql`
    select o.id, o.delivery_id, o.position, o.action, o.status, o.attempts, o.last_error, o.next_attempt_at,
           o.manual_retries, o.updated_at, d.dedup_key
    from outbox o join deliveries d on d.id = o.delivery_id
    where o.status <> 'done' order by o.id desc limit ${options.limit ?? 200}`);
  return rows(result, EffectRowSchema.extend({ dedup_key: z.string() }));
}

/** A failed effect back to pending, attempts reset, due now, counted as a manual retry. False if not failed. */
export async function retryEffect(db: Database, id: number, now: Date): Promise<boolean> {
  const result = await db.execute(sql`
    update outbox set status = 'pending', attempts = 0, next_attempt_at = ${iso(now)}::timestamptz,
      locked_until = null, locked_by = null, manual_retries = manual_retries + 1, updated_at = ${iso(now)}::timestamptz
    where id = ${id} and status = 'failed' returning id`);
  return rows(result, z.object({ id: z.coerce.number() })).length === 1;
}

/** Every effect that failed since `since` back to pending (as `retryEffect`); returns how many. */
export async function retryFailedSince(db: Database, since: Date, now: Date): Promise<number> {
  const result = await db.execute(sql`
    update outbox set status = 'pending', attempts = 0, next_attempt_at = ${iso(now)}::timestamptz,
      locked_until = null, locked_by = null, manual_retries = manual_retries + 1, updated_at = ${iso(now)}::timestamptz
    where status = 'failed' and updated_at >= ${iso(since)}::timestamptz returning id`);
  return rows(result, z.object({ id: z.coerce.number() })).length;
}

/** The next `n` for a replay of `key` (`replay:<key>:<n>`): one more than the replays recorded so far. */
export async function nextReplayNumber(db: Database, key: string): Promise<number> {
  const prefix = `replay:${key}:`;
  const result = await db.execute(sql`
    select coalesce(max(substr(dedup_key, ${prefix.length + 1})::int), 0) as n from deliveries
    where starts_with(dedup_key, ${prefix}) and substr(dedup_key, ${prefix.length + 1}) ~ '^[0-9]+$'`);
  return (rows(result, z.object({ n: z.coerce.number() }))[0]?.n ?? 0) + 1;
}

/** Effects by status among deliveries received since `since` (the inspector's header). */
export async function countEffectsSince(db: Database, since: Date): Promise<Record<string, number>> {
  const result = await db.execute(sql`
    select o.status, count(*)::int as n from outbox o join deliveries d on d.id = o.delivery_id
    where d.received_at >= ${iso(since)}::timestamptz group by o.status`);
  return Object.fromEntries(
    rows(result, z.object({ status: z.string(), n: z.coerce.number() })).map((r) => [r.status, r.n]),
  );
}

/** Effects whose row changed after `since` (attempts, outcomes, retries), oldest change first: for tail. */
export async function effectsChangedSince(db: Database, since: Date): Promise<OutboxRow[]> {
  const result = await db.execute(sql`
    select o.id, o.delivery_id, o.position, o.action, o.status, o.attempts, o.last_error, o.next_attempt_at,
           o.manual_retries, o.updated_at, d.dedup_key
    from outbox o join deliveries d on d.id = o.delivery_id
    where o.updated_at > ${iso(since)}::timestamptz order by o.updated_at, o.id limit 500`);
  return rows(result, EffectRowSchema.extend({ dedup_key: z.string() }));
}
