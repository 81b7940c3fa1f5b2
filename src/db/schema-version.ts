/**
 * Start-up check: the database's applied migrations against the ones this build carries
 * (`drizzle/meta/_journal.json`, bundled in). An unmigrated or older database stops start-up with one
 * line; without it every delivery would get 503 with `relation … does not exist`.
 */
import journalJson from '../../drizzle/meta/_journal.json' with { type: 'json' };
import type { Logger } from '../core/context.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { DatabaseHandle } from './database.js';

/** One migration drizzle-kit generated: `when` is what the migrator records as `created_at`. */
export interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

/** The migrations this build was made with. */
export const JOURNAL: readonly JournalEntry[] = journalJson.entries;

/** The database is behind this build's migrations (or has none): `npm run db:migrate` fixes it. */
export class SchemaOutdatedError extends StoreUnavailableError {}

/** What the database has applied, compared with the journal. */
export interface SchemaStatus {
  /** `created_at` of every applied migration, oldest first. */
  applied: number[];
  /** Journal entries newer than the newest applied one: the migrator would apply these. */
  pending: JournalEntry[];
  /** Applied migrations newer than this build's newest one (a newer build migrated it). */
  ahead: number;
}

/** Reads drizzle's migrations table (`drizzle.__drizzle_migrations`); an absent table is no migration. */
export async function schemaStatus(
  database: DatabaseHandle,
  journal: readonly JournalEntry[] = JOURNAL,
): Promise<SchemaStatus> {
  const [table] = (await database.raw(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as present",
    [],
  )) as { present: boolean }[];
  const rows = table?.present
    ? ((await database.raw(
        'select created_at from drizzle.__drizzle_migrations order by created_at',
        [],
      )) as {
        created_at: string | number | bigint;
      }[])
    : [];
  const applied = rows.map((row) => Number(row.created_at));
  const last = applied.at(-1) ?? Number.NEGATIVE_INFINITY;
  const newest = journal.at(-1)?.when ?? Number.NEGATIVE_INFINITY;
  return {
    applied,
    pending: journal.filter((entry) => entry.when > last),
    ahead: applied.filter((when) => when > newest).length,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Refuses a database that misses migrations, in one line ending with the fix. A database ahead of
 * this build (a newer one migrated it) is only warned about: migrations add, so old code keeps working
 * through a rolling deploy.
 */
export async function checkSchemaVersion(
  database: DatabaseHandle,
  logger?: Pick<Logger, 'warn'>,
  journal: readonly JournalEntry[] = JOURNAL,
): Promise<SchemaStatus> {
  const status = await schemaStatus(database, journal);
  const { applied, pending, ahead } = status;
  const first = pending[0];
  if (first) {
    const latest = journal.find((entry) => entry.when === applied.at(-1));
    const needs = `${plural(pending.length, 'migration')} (${first.tag}${pending.length > 1 ? ` … ${pending.at(-1)?.tag}` : ''})`;
    throw new SchemaOutdatedError(
      applied.length === 0
        ? `the database (${database.where}) has no migrations applied, this build needs ${needs}: run npm run db:migrate`
        : `the database (${database.where}) is at ${latest?.tag ?? `a migration of ${new Date(applied.at(-1) ?? 0).toISOString()}`}, this build needs ${needs} more: run npm run db:migrate`,
    );
  }
  if (ahead > 0) {
    logger?.warn(
      `the database (${database.where}) has ${plural(ahead, 'migration')} newer than this build: deploy the newer build`,
    );
  }
  return status;
}
