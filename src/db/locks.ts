import postgres from 'postgres';
import { parseDatabaseUrl } from './database.js';
import { OWNER_LOCK_SEED } from './owner-key.js';
import { reconnectBackoff } from './postgres.js';

/** Another shim already holds this database's Socket Mode lock. */
export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
}

/** Arbitrary, fixed: the advisory lock key of "the Socket Mode shim of this database". */
const LOCK_KEY = 7_270_219_301;

/**
 * One shim per database: Slack spreads envelopes across an app's connections, so a second process
 * would take half of them. PostgreSQL: a session advisory lock on a connection of its own. PGlite:
 * its data-directory lock already refuses a second process.
 */
export async function holdSingleInstanceLock(databaseUrl: string | undefined): Promise<() => Promise<void>> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.driver !== 'postgres') return async () => {};
  const sql = postgres(target.url, {
    max: 1,
    idle_timeout: 0,
    onnotice: () => {},
    connection: { application_name: `slack-router dev:socket pid ${process.pid}` },
  });
  const [row] = await sql<{ locked: boolean }[]>`select pg_try_advisory_lock(${LOCK_KEY}) as locked`;
  if (!row?.locked) {
    const holders = await sql<{ application_name: string; client_addr: string | null }[]>`
      select a.application_name, a.client_addr::text
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted
        and ((l.classid::bigint << 32) | l.objid::bigint) = ${LOCK_KEY}`;
    await sql.end();
    const holder = holders[0];
    const who = holder
      ? `${holder.application_name || 'a process'} on ${holder.client_addr ?? 'this host'}`
      : 'another process';
    throw new AlreadyRunningError(
      `another Socket Mode shim is running against ${target.host}:${target.port}/${target.database} (${who}): stop it first; Slack would split events between the two`,
    );
  }
  return async () => {
    await sql.end({ timeout: 1 });
  };
}

/** A fresh owner id for this process's leases: `node-<16 hex>`. */
export function newOwnerId(prefix = 'node'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The SQL expression of an owner's advisory lock key; claims test the same key (outbox.ts). */
const OWNER_LOCK_KEY_SQL = `hashtextextended($1::text, ${OWNER_LOCK_SEED}::bigint)`;

/** How soon a lost lock session is taken again. */
const RETAKE_EVERY_MS = 250;

/** This process's proof of life, held for its whole life. */
export interface OwnerLock {
  owner: string;
  /** False while the lock session is lost (the database dropped it); others may then take its leases. */
  held(): boolean;
  release(): Promise<void>;
}

/**
 * Leases that end with their owner: on PostgreSQL a session advisory lock on `owner`, on one
 * connection kept for it, so a drain elsewhere sees at once when this process has died (the server
 * ends the session, the lock goes free). A dropped session is taken again at once. PGlite: nothing
 * to hold, one process at a time (the data-directory lock), so any other owner is dead.
 */
export async function holdOwnerLock(databaseUrl: string | undefined, owner: string): Promise<OwnerLock> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.driver !== 'postgres') return { owner, held: () => true, release: async () => {} };
  let held = false;
  let closing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sql = postgres(target.url, {
    max: 1,
    idle_timeout: 0,
    connect_timeout: 2,
    backoff: reconnectBackoff,
    onnotice: () => {},
    connection: { application_name: `slack-router ${owner} pid ${process.pid}` },
    onclose: () => {
      held = false;
      if (!closing) retakeSoon();
    },
  });
  const take = async () => {
    const [row] = await sql.unsafe<{ locked: boolean }[]>(
      `select pg_try_advisory_lock(${OWNER_LOCK_KEY_SQL}) as locked`,
      [owner],
    );
    // Nobody else uses this random id: false means our own old session still holds it on the server.
    held = row?.locked === true;
    if (!held) retakeSoon();
  };
  function retakeSoon() {
    if (timer || closing) return;
    timer = setTimeout(() => {
      timer = undefined;
      take().catch(() => retakeSoon());
    }, RETAKE_EVERY_MS);
    timer.unref();
  }
  await take();
  return {
    owner,
    held: () => held,
    release: async () => {
      closing = true;
      clearTimeout(timer);
      await sql.end({ timeout: 1 });
    },
  };
}

/**
 * The owner lock of a long-lived process on `database`: on PostgreSQL (when `databaseUrl` names the
 * same one) a held advisory lock; on PGlite an owner id with nothing to hold (one process at a time).
 * Null when there is no URL to hold a session on: leases then end by expiry.
 */
export async function takeOwnerLock(
  driver: 'postgres' | 'pglite',
  databaseUrl: string | undefined,
): Promise<OwnerLock | null> {
  const owner = newOwnerId();
  if (driver === 'pglite') return { owner, held: () => true, release: async () => {} };
  if (parseDatabaseUrl(databaseUrl).driver !== 'postgres') return null;
  return holdOwnerLock(databaseUrl, owner);
}
