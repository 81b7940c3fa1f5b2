/**
 * Start-up checks: PostgreSQL connect errors told apart by code, each one line naming its fix; the
 * database's applied migrations against drizzle/meta/_journal.json; where drizzle/ is found.
 */
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/context.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { findMigrationsFolder, MIGRATIONS_FOLDER, openDatabase } from '../../src/db/open.js';
import { describeConnectError } from '../../src/db/postgres.js';
import {
  checkSchemaVersion,
  JOURNAL,
  type JournalEntry,
  SchemaOutdatedError,
} from '../../src/db/schema-version.js';
import { spawnScript } from '../helpers/spawn.js';
import { emptyPostgres, root, SLOW_MS, STACK_FRAME, tempDir } from './support.js';

const target = {
  host: 'db.example.com',
  port: '5432',
  database: 'router',
  url: 'postgres://app:secret@db.example.com:5432/router',
};
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('PostgreSQL connect errors, by code', () => {
  it.each([
    [
      pgError('3D000', 'database "router" does not exist'),
      'database router does not exist on PostgreSQL at db.example.com:5432: create it with createdb router, or fix DATABASE_URL',
    ],
    [
      pgError('28000', 'role "app" does not exist'),
      'PostgreSQL at db.example.com:5432 refused role app (role "app" does not exist): create it with createuser app, or fix the user in DATABASE_URL',
    ],
    [
      pgError('28P01', 'password authentication failed for user "app"'),
      'PostgreSQL at db.example.com:5432 refused the password for role app (password authentication failed for user "app"): fix the password in DATABASE_URL',
    ],
    [
      pgError(
        '28000',
        'no pg_hba.conf entry for host "10.0.0.5", user "app", database "router", no encryption',
      ),
      'PostgreSQL at db.example.com:5432 requires SSL (no pg_hba.conf entry for host "10.0.0.5", user "app", database "router", no encryption): add ?sslmode=require to DATABASE_URL',
    ],
    [
      pgError(
        '28000',
        'no pg_hba.conf entry for host "10.0.0.5", user "app", database "router", SSL encryption',
      ),
      'PostgreSQL at db.example.com:5432 refused the connection (no pg_hba.conf entry for host "10.0.0.5", user "app", database "router", SSL encryption): allow this host for role app in pg_hba.conf, or fix DATABASE_URL',
    ],
    [
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.9:5432'),
      'cannot reach PostgreSQL at db.example.com:5432 (ECONNREFUSED): start the server, or unset DATABASE_URL to use the embedded database',
    ],
    [
      pgError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.example.com'),
      'cannot reach PostgreSQL at db.example.com:5432 (ENOTFOUND): start the server, or unset DATABASE_URL to use the embedded database',
    ],
    [
      pgError('CONNECT_TIMEOUT', 'write CONNECT_TIMEOUT db.example.com:5432'),
      'cannot reach PostgreSQL at db.example.com:5432 (no answer in 5 s): start the server, or unset DATABASE_URL to use the embedded database',
    ],
    [
      pgError('53300', 'sorry, too many clients already'),
      "cannot open PostgreSQL at db.example.com:5432/router (53300: sorry, too many clients already): check DATABASE_URL and the server's log",
    ],
  ])('%s', (error, line) => {
    expect(describeConnectError(error, target)).toBe(line);
    expect(line).not.toContain('secret');
  });

  it('tells an SSL refusal from a reset when DATABASE_URL asks for SSL', () => {
    const reset = pgError(
      'ECONNRESET',
      'Client network socket disconnected before secure TLS connection was established',
    );
    expect(describeConnectError(reset, { ...target, url: `${target.url}?sslmode=require` })).toBe(
      'PostgreSQL at db.example.com:5432 refused SSL (Client network socket disconnected before secure TLS connection was established): remove sslmode=require from DATABASE_URL, or turn ssl on in the server',
    );
  });

  it('names a closed port in one line, a real ECONNREFUSED', async () => {
    await expect(openDatabase('postgres://postgres@127.0.0.1:1/test')).rejects.toThrow(
      new StoreUnavailableError(
        'cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): start the server, or unset DATABASE_URL to use the embedded database',
      ),
    );
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  console.info(
    'TEST_DATABASE_URL is not set: 3D000, 28000, SSL and the unmigrated-database checks are not tried against PostgreSQL',
  );
}

describe.skipIf(!adminUrl)('PostgreSQL connect errors from a real server', () => {
  const server = adminUrl ? new URL(adminUrl) : new URL('postgres://x');
  const at = `${server.hostname}:${server.port || '5432'}`;
  const withUrl = (change: (url: URL) => void) => {
    const url = new URL(server.toString());
    change(url);
    return url.toString();
  };

  it('3D000: a database that does not exist', async () => {
    await expect(openDatabase(withUrl((u) => (u.pathname = '/router_no_such_db')))).rejects.toThrow(
      `database router_no_such_db does not exist on PostgreSQL at ${at}: create it with createdb router_no_such_db, or fix DATABASE_URL`,
    );
  });

  it('28000: a role that does not exist', async () => {
    await expect(openDatabase(withUrl((u) => (u.username = 'router_no_such_role')))).rejects.toThrow(
      `PostgreSQL at ${at} refused role router_no_such_role (role "router_no_such_role" does not exist): create it with createuser router_no_such_role, or fix the user in DATABASE_URL`,
    );
  });

  it('SSL asked of a server without it: refused, in one line', async () => {
    const error = await openDatabase(withUrl((u) => u.searchParams.set('sslmode', 'require'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    // This server has ssl off; a server with ssl on would accept, and this test would say so.
    expect((error as Error).message).toMatch(
      new RegExp(
        `^PostgreSQL at ${at.replace('.', '\\.')} refused SSL \\(.+\\): remove sslmode=require from DATABASE_URL, or turn ssl on in the server$`,
      ),
    );
  });

  describe('an unmigrated database', () => {
    let database: Awaited<ReturnType<typeof emptyPostgres>>;
    beforeAll(async () => {
      database = await emptyPostgres(adminUrl as string);
    });
    afterAll(() => database?.drop());

    it(
      'stops npm run dev:http (tsx) before "listening", in one line',
      async () => {
        const run = spawnScript(
          'src/runtime/node.ts',
          { SLACK_SIGNING_SECRET: 'x', SLACK_BOT_TOKEN: 'xoxb-test', DATABASE_URL: database.url, PORT: '1' },
          tempDir('unmigrated'),
        );
        expect(await run.exited).toBe(1);
        const output = run.output().trim();
        expect(output).toMatch(
          /^error: the database \(postgres .+\) has no migrations applied, this build needs .+: run npm run db:migrate$/,
        );
        expect(output).not.toMatch(STACK_FRAME);
      },
      SLOW_MS,
    );
  });
});

describe('the schema version check', () => {
  const warnings: string[] = [];
  const logger: Pick<Logger, 'warn'> = { warn: (message) => void warnings.push(message) };
  const next: JournalEntry = {
    idx: JOURNAL.length,
    when: (JOURNAL.at(-1)?.when ?? 0) + 1_000,
    tag: '9999_next',
  };

  it(
    'refuses a database with no migrations, in one line ending with the fix',
    async () => {
      const handle = await openDatabase('memory://');
      try {
        const error = await checkSchemaVersion(handle, logger).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SchemaOutdatedError);
        expect(error).toBeInstanceOf(StoreUnavailableError); // printed by runMain as one line
        const tags =
          JOURNAL.length > 1 ? `${JOURNAL[0]?.tag} … ${JOURNAL.at(-1)?.tag}` : `${JOURNAL[0]?.tag}`;
        expect((error as Error).message).toBe(
          `the database (pglite memory) has no migrations applied, this build needs ${JOURNAL.length} migration${JOURNAL.length === 1 ? '' : 's'} (${tags}): run npm run db:migrate`,
        );
      } finally {
        await handle.close();
      }
    },
    SLOW_MS,
  );

  it(
    'passes a migrated database, refuses one older than the build, and only warns about a newer one',
    async () => {
      const handle = await openDatabase('memory://', { migrate: true });
      try {
        const status = await checkSchemaVersion(handle, logger);
        expect(status).toEqual({ applied: JOURNAL.map((e) => e.when), pending: [], ahead: 0 });

        await expect(checkSchemaVersion(handle, logger, [...JOURNAL, next])).rejects.toThrow(
          `the database (pglite memory) is at ${JOURNAL.at(-1)?.tag}, this build needs 1 migration (9999_next) more: run npm run db:migrate`,
        );

        expect(warnings).toEqual([]);
        await checkSchemaVersion(handle, logger, JOURNAL.slice(0, -1));
        expect(warnings).toEqual([
          'the database (pglite memory) has 1 migration newer than this build: deploy the newer build',
        ]);
      } finally {
        await handle.close();
      }
    },
    SLOW_MS,
  );
});

describe('the migrations folder', () => {
  it('is found next to a bundle (dist/drizzle) before the repository root, and from src', () => {
    const dist = join(mkdtempSync(join(tempDir('migrations'), 'x-')), 'dist');
    mkdirSync(dist, { recursive: true });
    const bundle = pathToFileURL(join(dist, 'node.js'));
    expect(findMigrationsFolder(bundle)).toBe(join(dist, '..', '..', 'drizzle')); // none there yet: the fallback
    cpSync(join(root, 'drizzle'), join(dist, 'drizzle'), { recursive: true });
    expect(findMigrationsFolder(bundle)).toBe(join(dist, 'drizzle'));
    expect(MIGRATIONS_FOLDER).toBe(join(root, 'drizzle'));
  });
});
