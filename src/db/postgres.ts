import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { StoreUnavailableError } from '../core/errors.js';
import type { DatabaseHandle } from './database.js';

/** Seconds to wait for a connection before saying the server cannot be reached. */
const CONNECT_TIMEOUT_SECONDS = 5;

/** Opens PostgreSQL through postgres.js (Node, Lambda, and Workers with nodejs_compat or Hyperdrive). */
export async function openPostgres(
  url: string,
  where: { host: string; port: string; database: string },
  options: { max?: number; probe?: boolean } = {},
): Promise<DatabaseHandle> {
  const client = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    onnotice: () => {},
  });
  const handle: DatabaseHandle = {
    db: drizzle(client, { casing: 'snake_case' }),
    // Parameters are strings, numbers and nulls, cast in the SQL: postgres.js sends them as they are.
    raw: async (query, params) => [
      ...(await client.unsafe(query, params as postgres.ParameterOrJSON<never>[], { prepare: true })),
    ],
    driver: 'postgres',
    where: `postgres ${where.host}:${where.port}/${where.database}`,
    close: () => client.end({ timeout: 5 }),
  };
  if (options.probe !== false) {
    try {
      await client`select 1`;
    } catch (error) {
      await client.end({ timeout: 0 }).catch(() => {});
      const reason =
        error instanceof Error ? ((error as { code?: string }).code ?? error.message) : String(error);
      throw new StoreUnavailableError(
        `cannot reach PostgreSQL at ${where.host}:${where.port} (${reason}): start the server, or unset DATABASE_URL to use the embedded database`,
      );
    }
  }
  return handle;
}
