import { and, eq, sql } from 'drizzle-orm';
import * as z from 'zod';
import type { Database, RawSql } from './database.js';
import { OWNER_LOCK_SEED } from './owner-key.js';
import { rows } from './rows.js';
import { outbox } from './schema.js';

/**
 * How long a lease lasts when nothing else says so. A lease with an owner (a Node process holding
 * its owner lock) ends when the owner dies, whatever this says; one without (Workers, Lambda) ends here.
 */
export const LEASE_MS = 60_000;

/** Who takes a lease and for how long: `owner` null (Workers, Lambda) means it ends by expiry only. */
export interface Lease {
  owner: string | null;
  ms: number;
}

/**
 * An owner takes back its own lease that it no longer holds in memory once it was taken this long
 * ago: a recording whose answer was lost (the connection dropped after the commit), a mark it gave
 * up on. Longer than any wait for a recording's answer, so it never races the run it was taken for.
 */
export const OWN_ORPHAN_AFTER_MS = 10_000;

/** An outbox row leased to this process, without its effect. */
export const LeasedRowSchema = z.object({
  id: z.coerce.number(),
  delivery_id: z.coerce.number(),
  position: z.coerce.number(),
  team_id: z.string().nullable(),
  enterprise_id: z.string().nullable(),
  attempts: z.coerce.number(),
});
/**
 * An effect leased to this process to run. `E` is the effect's type: the recorder hands back the
 * typed effect it was given; a claim from the table gives `unknown`, parsed by the caller.
 */
export type Claimed<E = unknown> = z.infer<typeof LeasedRowSchema> & { effect: E };
const ClaimedRowSchema = LeasedRowSchema.extend({ action: z.unknown() });

/** Timestamps go to SQL as ISO strings, cast there: both drivers then send them as they are. */
export const iso = (date: Date) => date.toISOString();

/**
 * Claims up to `limit` runnable effects for `lease.owner`: pending and due; leased to an owner whose
 * lock is free (it died: taken at once, whatever the expiry); leased to no owner and expired; or
 * leased to this owner over `OWN_ORPHAN_AFTER_MS` ago and not `held` in its memory. Leases of live
 * owners are never taken.
 * The owner test takes the owner's lock for the transaction only (`pg_try_advisory_xact_lock`): it
 * fails while the owner's session holds it. On PGlite there is no other session, so any other owner
 * is dead, as the one-process data-directory lock says. `FOR UPDATE SKIP LOCKED`: concurrent
 * claimers never get the same effect.
 */
export async function claimEffects(
  db: Database,
  options: { now: Date; limit: number; lease?: Lease; held?: number[] },
): Promise<Claimed[]> {
  const now = iso(options.now);
  const owner = options.lease?.owner ?? null;
  const leaseMs = options.lease?.ms ?? LEASE_MS;
  const until = iso(new Date(options.now.getTime() + leaseMs));
  const orphanedBefore = iso(new Date(options.now.getTime() + leaseMs - OWN_ORPHAN_AFTER_MS));
  const result = await db.execute(sql`
    with others as (
      select distinct locked_by as owner from outbox
      where status = 'running' and locked_by is not null and locked_by is distinct from ${owner}::text
    ), dead as (
      select owner from others where pg_try_advisory_xact_lock(hashtextextended(owner, ${OWNER_LOCK_SEED}::bigint))
    )
    update outbox
    set status = 'running', attempts = attempts + 1, locked_until = ${until}::timestamptz,
        locked_by = ${owner}::text, updated_at = ${now}::timestamptz
    where id in (
      select id from outbox
      where (status = 'pending' and next_attempt_at <= ${now}::timestamptz)
         or (status = 'running' and (
              (locked_by is null and locked_until < ${now}::timestamptz)
           or (locked_by = ${owner}::text and locked_until < ${orphanedBefore}::timestamptz
               and id not in ${idList(options.held ?? [])})
           or locked_by in (select owner from dead)))
      order by id
      limit ${options.limit}
      for update skip locked
    )
    returning id, delivery_id, position, action, team_id, enterprise_id, attempts`);
  return rows(result, ClaimedRowSchema)
    .map(({ action, ...row }) => ({ ...row, effect: action }))
    .sort((a, b) => a.delivery_id - b.delivery_id || a.position - b.position);
}

/**
 * The ids as one parameter, so the statement text is the same for any number of ids: prepared once
 * per connection, not once per batch size (an `in ($1, …, $n)` list is a new statement for every n).
 */
const idList = (ids: number[]) =>
  sql`(select jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb)::bigint)`;

const COMPLETE_SQL = `
  update outbox set status = 'done', locked_until = null, last_error = null, updated_at = $1::text::timestamptz
  where status = 'running' and id in (select jsonb_array_elements_text($2::text::jsonb)::bigint)`;

/**
 * Marks claimed effects done, in one statement, without the ORM: this runs once per batch of
 * deliveries, and through drizzle (unprepared) it cost ~140 µs of CPU a statement against ~75.
 */
export async function completeEffects(raw: RawSql, ids: number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await raw(COMPLETE_SQL, [iso(now), JSON.stringify(ids)]);
}

/** Gives claimed effects that were not started back to the outbox, due now. */
export async function releaseEffects(db: Database, ids: number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`
    update outbox
    set status = 'pending', locked_until = null, next_attempt_at = ${iso(now)}::timestamptz,
        attempts = attempts - 1, updated_at = ${iso(now)}::timestamptz
    where status = 'running' and id in ${idList(ids)}`);
}

/** Records a failed attempt: back to pending at `retryAt`, or failed for good when `retryAt` is null. */
export async function failEffect(
  db: Database,
  id: number,
  error: string,
  retryAt: Date | null,
  now: Date,
): Promise<void> {
  await db
    .update(outbox)
    .set({
      status: retryAt ? 'pending' : 'failed',
      nextAttemptAt: retryAt ?? now,
      lockedUntil: null,
      lastError: error.slice(0, 2000),
      updatedAt: now,
    })
    .where(and(eq(outbox.id, id), eq(outbox.status, 'running')));
}

/** Deletes deliveries received before `before` whose effects have all finished; returns how many. */
export async function pruneDeliveries(db: Database, before: Date): Promise<number> {
  const result = await db.execute(sql`
    delete from deliveries
    where received_at < ${iso(before)}::timestamptz
      and not exists (
        select 1 from outbox o where o.delivery_id = deliveries.id and o.status in ('pending', 'running')
      )
    returning id`);
  return rows(result, z.object({ id: z.coerce.number() })).length;
}

/** Effects by status, for health checks and tests. */
export async function countEffects(db: Database): Promise<Record<string, number>> {
  const result = await db.execute(sql`select status, count(*)::int as n from outbox group by status`);
  return Object.fromEntries(
    rows(result, z.object({ status: z.string(), n: z.coerce.number() })).map((r) => [r.status, r.n]),
  );
}
