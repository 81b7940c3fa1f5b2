import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { ConfigError, StoreUnavailableError } from '../core/errors.js';
import type { DatabaseHandle } from './database.js';

/** Defaults of DATABASE_CONNECT_TIMEOUT_MS and DATABASE_STATEMENT_TIMEOUT_MS (src/config/settings.ts). */
export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 5_000;
/**
 * Longest wait between two attempts to reconnect, in seconds. postgres.js's own backoff grows to
 * 20 s, so a database back after an outage of a few seconds would wait up to that long for acks.
 */
export const RECONNECT_BACKOFF_MAX_S = 0.25;

/** Seconds before reconnect attempt `retries`: 50 ms, doubling, at most `RECONNECT_BACKOFF_MAX_S`. */
export const reconnectBackoff = (retries: number) => Math.min(0.05 * 2 ** retries, RECONNECT_BACKOFF_MAX_S);

/**
 * Connections a Node process opens by default; `?max=N` in DATABASE_URL sets another. Few on
 * purpose: postgres.js pipelines the statements of one connection, and statements spread over
 * more connections each cost a write and a server backend's wake-up of their own. With 3 instead
 * of postgres.js's 10, the HTTP bench's server used about 12 % less CPU per delivery and handled
 * about 11 % more (the medians of six interleaved runs, 2026-12-07): see README "Configuration".
 */
export const POOL_MAX = 3;

/**
 * DATABASE_URL's `?max=`, else `POOL_MAX`. Read here: postgres.js takes the URL's value as a
 * string, and a pool of `Array('5')` has one connection.
 */
export function poolMax(url: string): number {
  const given = new URL(url).searchParams.get('max');
  if (given === null) return POOL_MAX;
  const max = Number(given);
  if (!Number.isInteger(max) || max < 1)
    throw new ConfigError(
      'DATABASE_URL',
      `DATABASE_URL's ?max= is the most connections to open: a whole number from 1 (got "${given}")`,
    );
  return max;
}

/** How `openPostgres` connects. */
export interface PostgresOptions {
  /** Connections at most: this, else DATABASE_URL's `?max=`, else `POOL_MAX`. */
  max?: number;
  /** Runs `select 1` first, so a database that cannot be reached fails here in one line (default true). */
  probe?: boolean;
  connectTimeoutMs?: number;
  /**
   * Sent as the start-up parameter `statement_timeout`; null sends none (through a transaction
   * pooler such as Hyperdrive it would not reach the pooled server connections: set it on the role).
   */
  statementTimeoutMs?: number | null;
  /**
   * postgres.js's query for array types on each new connection (default true). Workers turn it off:
   * it is a round trip and ~100 rows per request, and no statement of the hot path uses arrays.
   */
  fetchTypes?: boolean;
}

/**
 * Opens PostgreSQL through postgres.js (Node, Lambda, and Workers with nodejs_compat or Hyperdrive).
 * `?prepare=false` in the URL turns prepared statements off, for a transaction pooler that does
 * not carry them (PgBouncer before 1.21).
 */
export async function openPostgres(
  url: string,
  where: { host: string; port: string; database: string },
  options: PostgresOptions = {},
): Promise<DatabaseHandle> {
  const connectMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const statementMs =
    options.statementTimeoutMs === undefined ? STATEMENT_TIMEOUT_MS : options.statementTimeoutMs;
  const client = postgres(url, {
    max: options.max ?? poolMax(url),
    connect_timeout: connectMs / 1000,
    backoff: reconnectBackoff,
    onnotice: () => {},
    fetch_types: options.fetchTypes ?? true,
    // The server ends a statement that runs longer (a lock wait, a stuck plan). A server that does
    // not answer at all is the caller's deadline to handle (RECORD_DEADLINE_MS).
    connection: statementMs === null ? {} : { statement_timeout: statementMs },
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
      throw new StoreUnavailableError(describeConnectError(error, { ...where, url, connectMs }));
    }
  }
  return handle;
}

/** Where a connection went, for the error line: never the password. */
export interface ConnectTarget {
  host: string;
  port: string;
  database: string;
  /** DATABASE_URL, read for its user and `sslmode` only. */
  url: string;
  /** The connect timeout used, for "no answer in N s". */
  connectMs?: number;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECT_TIMEOUT',
]);

/**
 * One line that says why PostgreSQL could not be opened and what fixes it, told apart by the error's
 * code: database missing, role or password refused, SSL required or refused, host unreachable.
 */
export function describeConnectError(error: unknown, target: ConnectTarget): string {
  const { code, message } =
    error instanceof Error
      ? { code: (error as { code?: unknown }).code, message: error.message }
      : { code: undefined, message: String(error) };
  const at = `${target.host}:${target.port}`;
  let user = 'postgres';
  let ssl: string | null = null;
  try {
    const parsed = new URL(target.url);
    user = decodeURIComponent(parsed.username) || 'postgres';
    ssl = parsed.searchParams.get('sslmode') ?? parsed.searchParams.get('ssl');
  } catch {
    // parseDatabaseUrl already refused a URL that does not parse
  }
  const sslOn = ssl !== null && ssl !== 'disable' && ssl !== 'false';
  const server = message.replace(/\s+/g, ' ').trim();
  switch (code) {
    case '3D000':
      return `database ${target.database} does not exist on PostgreSQL at ${at}: create it with createdb ${target.database}, or fix DATABASE_URL`;
    case '28P01':
      return `PostgreSQL at ${at} refused the password for role ${user} (${server}): fix the password in DATABASE_URL`;
    case '28000':
      if (/pg_hba\.conf/.test(server) && /no encryption|SSL off/i.test(server)) {
        return `PostgreSQL at ${at} requires SSL (${server}): add ?sslmode=require to DATABASE_URL`;
      }
      if (/pg_hba\.conf/.test(server)) {
        return `PostgreSQL at ${at} refused the connection (${server}): allow this host for role ${user} in pg_hba.conf, or fix DATABASE_URL`;
      }
      return `PostgreSQL at ${at} refused role ${user} (${server}): create it with createuser ${user}, or fix the user in DATABASE_URL`;
  }
  if (sslOn && (code === 'ECONNRESET' || /\bSSL\b|TLS/i.test(server))) {
    return `PostgreSQL at ${at} refused SSL (${server}): remove sslmode=${ssl} from DATABASE_URL, or turn ssl on in the server`;
  }
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    const why =
      code === 'CONNECT_TIMEOUT' ? `no answer in ${(target.connectMs ?? CONNECT_TIMEOUT_MS) / 1000} s` : code;
    return `cannot reach PostgreSQL at ${at} (${why}): start the server, or unset DATABASE_URL to use the embedded database`;
  }
  const reason = typeof code === 'string' ? `${code}: ${server}` : server;
  return `cannot open PostgreSQL at ${at}/${target.database} (${reason}): check DATABASE_URL and the server's log`;
}
