import postgres from 'postgres';
import { parseDatabaseUrl } from './database.js';

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
