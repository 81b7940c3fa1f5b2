import { sql } from 'drizzle-orm';
import * as z from 'zod';
import type { Database } from './database.js';
import { OWNER_LOCK_SEED } from './owner-key.js';
import { rows } from './rows.js';

/** Arbitrary, fixed: the transaction lock that makes slot changes one at a time across processes. */
const SLOTS_LOCK_KEY = 7_270_219_302;

/** What the shared slots look like after a sync. */
export interface SlotsView {
  /** The slots this process holds, by the database's account. */
  mine: number[];
  /** Every live process sharing the slots (this one included) and how many it holds. */
  members: { owner: string; holder: string; slots: number }[];
  /** Slots held in all. */
  held: number;
  /** The slot this sync took, or null. */
  claimed: number | null;
  /** How long before a claim may be made (another process took a slot less than `staggerMs` ago); 0: now. */
  waitMs: number;
}

/** How a sync may claim: its fair share (staggered), any free slot now (a refresh's overlap), or none. */
export type SlotClaim = 'fair' | 'spare' | 'none';

export interface SlotOptions {
  owner: string;
  /** Who the owner is, for people: `<host> pid <pid>`. */
  holder: string;
  /** Slack's limit: slots are 0 … limit - 1. */
  limit: number;
  /** Claims across all processes are spaced at least this far apart (Slack refuses bursts of connections). */
  staggerMs: number;
  /** The fair share of one process when `processes` share the slots. */
  share(processes: number): number;
}

const SlotRowSchema = z.object({
  slot: z.coerce.number(),
  owner: z.string().nullable(),
  ago_ms: z.coerce.number(),
});
const MemberRowSchema = z.object({ owner: z.string(), holder: z.string() });
const OwnerRowSchema = z.object({ owner: z.string() });

/** A list of strings as one parameter (the statement text stays the same for any number). */
const textList = (values: string[]) =>
  sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::text::jsonb))`;

/**
 * Joins (or stays in) the group sharing Socket Mode's connection slots, frees the slots and
 * memberships of dead owners, and claims a slot as `claim` says. Leases end with their owner: an
 * owner is dead when its advisory lock (locks.ts) is free, tested as outbox claims do. One
 * transaction under one lock, so two processes never take the same slot; PGlite has no other
 * session, so any other owner is dead there, as its one-process lock says.
 */
export async function syncSlots(db: Database, options: SlotOptions, claim: SlotClaim): Promise<SlotsView> {
  const { owner, holder, limit } = options;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SLOTS_LOCK_KEY}::bigint)`);
    const dead = rows(
      await tx.execute(sql`
        select owner from (
          select owner from socket_members union select owner from socket_slots where owner is not null
        ) o
        where owner <> ${owner} and pg_try_advisory_xact_lock(hashtextextended(owner, ${OWNER_LOCK_SEED}::bigint))`),
      OwnerRowSchema,
    ).map((row) => row.owner);
    if (dead.length > 0) {
      await tx.execute(sql`delete from socket_members where owner in ${textList(dead)}`);
      await tx.execute(
        sql`update socket_slots set owner = null, holder = null where owner in ${textList(dead)}`,
      );
    }
    await tx.execute(
      sql`insert into socket_members (owner, holder) values (${owner}, ${holder}) on conflict (owner) do nothing`,
    );
    const slots = rows(
      await tx.execute(
        sql`select slot, owner, extract(epoch from clock_timestamp() - taken_at) * 1000 as ago_ms from socket_slots`,
      ),
      SlotRowSchema,
    );
    const members = rows(
      await tx.execute(sql`select owner, holder from socket_members order by joined_at, owner`),
      MemberRowSchema,
    );
    const taken = new Set(slots.filter((s) => s.owner !== null && s.slot < limit).map((s) => s.slot));
    const mine = slots.filter((s) => s.owner === owner).map((s) => s.slot);
    const free = Array.from({ length: limit }, (_, i) => i).find((slot) => !taken.has(slot));
    const sinceLast = Math.min(Number.POSITIVE_INFINITY, ...slots.map((s) => s.ago_ms));
    let claimed: number | null = null;
    let waitMs = 0;
    const wanted = claim === 'spare' || (claim === 'fair' && mine.length < options.share(members.length));
    if (wanted && free !== undefined) {
      if (claim === 'fair' && sinceLast < options.staggerMs)
        waitMs = Math.ceil(options.staggerMs - sinceLast);
      else {
        await tx.execute(sql`
          insert into socket_slots (slot, owner, holder, taken_at)
          values (${free}, ${owner}, ${holder}, clock_timestamp())
          on conflict (slot) do update
          set owner = excluded.owner, holder = excluded.holder, taken_at = excluded.taken_at`);
        claimed = free;
        taken.add(free);
        mine.push(free);
      }
    }
    const counts = new Map<string, number>();
    for (const s of slots) if (s.owner !== null) counts.set(s.owner, (counts.get(s.owner) ?? 0) + 1);
    if (claimed !== null) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    return {
      mine: mine.sort((a, b) => a - b),
      members: members.map((m) => ({ ...m, slots: counts.get(m.owner) ?? 0 })),
      held: taken.size,
      claimed,
      waitMs,
    };
  });
}

/** Gives one slot back (its connection closed). */
export async function releaseSlot(db: Database, owner: string, slot: number): Promise<void> {
  await db.execute(
    sql`update socket_slots set owner = null, holder = null where slot = ${slot} and owner = ${owner}`,
  );
}

/** Gives every slot back and leaves the group (a process stopping). */
export async function leaveSlots(db: Database, owner: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`update socket_slots set owner = null, holder = null where owner = ${owner}`);
    await tx.execute(sql`delete from socket_members where owner = ${owner}`);
  });
}
