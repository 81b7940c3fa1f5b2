import postgres from 'postgres';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';

/** A database for one test file: migrated, empty, and dropped by `close()`. */
export interface TestDatabase extends DatabaseHandle {
  /** Opens a second, independent connection to the same database (Postgres only), as another process would. */
  another?: () => Promise<DatabaseHandle>;
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
    another: async () => {
      const h = await openDatabase(url.toString());
      extra.push(h);
      return h;
    },
    close: async () => {
      for (const h of extra) await h.close();
      await handle.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** The databases the storage suite runs on: in-memory PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function testDatabases(): [string, () => Promise<TestDatabase>][] {
  const list: [string, () => Promise<TestDatabase>][] = [
    [
      'pglite',
      async () => {
        const handle = await openDatabase('memory://');
        await migrate(handle);
        return handle;
      },
    ],
  ];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push(['postgres', () => freshPostgres(url)]);
  else console.info('TEST_DATABASE_URL is not set: the storage suite runs on PGlite only');
  return list;
}
