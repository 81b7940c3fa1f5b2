import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { ConfigError } from '../core/errors.js';

/** A drizzle database over either driver. */
export type Database = PgDatabase<PgQueryResultHKT>;

/** Runs one SQL statement with `$1…` parameters and returns its rows, skipping the ORM: for the ack path. */
export type RawSql = (query: string, params: unknown[]) => Promise<unknown[]>;

/** An open database and how to close it. */
export interface DatabaseHandle {
  db: Database;
  raw: RawSql;
  driver: 'postgres' | 'pglite';
  /** Where it is, without credentials: `postgres 127.0.0.1:5432/test`, `pglite .data/pglite`, `pglite memory`. */
  where: string;
  close(): Promise<void>;
}

/** What an app's store code gets: the query builder and raw statements, never the connection itself. */
export type StoreHandle = Pick<DatabaseHandle, 'db' | 'raw'>;

/** Which database `DATABASE_URL` asks for. */
export type DatabaseTarget =
  | { driver: 'postgres'; url: string; host: string; port: string; database: string }
  | { driver: 'pglite'; dataDir: string | null };

/** The embedded database's directory when `DATABASE_URL` is unset. */
export const DEFAULT_PGLITE_DIR = '.data/pglite';

/** Reads `DATABASE_URL`: postgres(ql):// → PostgreSQL, memory:// → in-memory PGlite, unset → PGlite on disk. */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (url === undefined || url === '') return { driver: 'pglite', dataDir: DEFAULT_PGLITE_DIR };
  if (url === 'memory://') return { driver: 'pglite', dataDir: null };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    try {
      const parsed = new URL(url);
      return {
        driver: 'postgres',
        url,
        host: parsed.hostname || 'localhost',
        port: parsed.port || '5432',
        database: parsed.pathname.slice(1) || '(default)',
      };
    } catch {
      throw new ConfigError(
        'DATABASE_URL',
        'DATABASE_URL is not a valid URL: use postgres://user:password@host:5432/database',
      );
    }
  }
  throw new ConfigError(
    'DATABASE_URL',
    `DATABASE_URL must start with postgres:// or postgresql://, be memory://, or be unset for the embedded database in ${DEFAULT_PGLITE_DIR} (got ${scheme ? `${scheme}://…` : 'something else'})`,
  );
}
