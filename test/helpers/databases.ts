import postgres from 'postgres';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';

/** A database for one test file: migrated, empty, and dropped by `close()`. */
export interface TestDatabase extends DatabaseHandle {
  /** Opens a second, independent connection to the same database (Postgres only), as another process would. */
  another?: () => Promise<DatabaseHandle>;
  /** The database's URL (Postgres only): what another process, or an owner lock, connects to. */
  url?: string;
}

/** Creates a fresh database on the server `TEST_DATABASE_URL` names, so runs never collide. */
async function freshPostgres(adminUrl: string): Promise<TestDatabase> {
  const name = `router_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase(url.toString(), { migrate: true });
  const extra: DatabaseHandle[] = [];
  return {
    ...handle,
    url: url.toString(),
    another: async () => {
      const h = await openDatabase(url.toString());
      extra.push(h);
      return h;
    },
    close: async () => {
      for (const h of extra) await h.close().catch(() => {});
      await handle.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** In-memory PGlite, migrated. */
async function freshPglite(): Promise<TestDatabase> {
  const handle = await openDatabase('memory://');
  await migrate(handle);
  return handle;
}

/** The databases a suite runs on: in-memory PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function testDatabases(what = 'the storage suite runs'): [string, () => Promise<TestDatabase>][] {
  const list: [string, () => Promise<TestDatabase>][] = [['pglite', freshPglite]];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push(['postgres', () => freshPostgres(url)]);
  else console.info(`TEST_DATABASE_URL is not set: ${what} on PGlite only`);
  return list;
}

/** A fresh PostgreSQL database on TEST_DATABASE_URL's server; throws when it is not set. */
export function postgresDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return freshPostgres(url);
}

/**
 * A database that processes share, for tests that start and kill them: `url` (null on PGlite, where
 * there is one process and no owner lock), `open()` another pool to it as another process would have
 * (PGlite: the same handle), `drop()`.
 */
export interface ProcessStore {
  url: string | null;
  handle: DatabaseHandle;
  open(): Promise<DatabaseHandle>;
  drop(): Promise<void>;
}

/** A test database as a store processes share. */
export function asProcessStore(database: TestDatabase): ProcessStore {
  return {
    url: database.url ?? null,
    handle: database,
    open: database.another ?? (async () => database),
    drop: () => database.close(),
  };
}

/** `testDatabases`, as stores processes share. */
export function processStores(what: string): [string, () => Promise<ProcessStore>][] {
  return testDatabases(what).map(([name, open]) => [name, async () => asProcessStore(await open())]);
}
