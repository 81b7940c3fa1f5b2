import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/db/open.js';
import { lockDataDir, openPglite } from '../../src/db/pglite.js';
import { POOL_MAX } from '../../src/db/postgres.js';

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('migrations', () => {
  it('match the schema: generating again writes no new migration', async () => {
    const dir = mkdtempSync(join(process.cwd(), '.drift-'));
    try {
      cpSync('drizzle', dir, { recursive: true });
      const before = readdirSync(dir).filter((f) => f.endsWith('.sql'));
      const { code, out } = await run('npx', ['drizzle-kit', 'generate', '--name', 'drift'], {
        DRIZZLE_OUT: relative(process.cwd(), dir),
      });
      expect(code, out).toBe(0);
      const after = readdirSync(dir).filter((f) => f.endsWith('.sql'));
      expect(after, 'src/db/schema.ts changed without `npm run db:generate`').toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the embedded database on disk', () => {
  it('is created and migrated on first use, and keeps its rows', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pglite-')), 'data');
    const a = await openPglite(dir);
    await migrate(a);
    await a.db.execute("insert into organizations (slug, name) values ('acme', 'Acme')");
    await a.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    const b = await openPglite(dir);
    const result = await b.db.execute('select slug from organizations');
    expect(JSON.stringify(result)).toContain('acme');
    await b.close();
  });

  it('refuses a second process and names the one holding it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pglite-')), 'data');
    writeFileSync(`${dir}.lock`, String(process.ppid)); // a live process that is not us
    expect(() => lockDataDir(dir)).toThrow(
      `the embedded database in ${dir} is in use by process ${process.ppid}: stop it first, or set DATABASE_URL to a PostgreSQL server`,
    );
  });

  it('takes over a lock left by a process that is gone', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'pglite-')), 'data');
    writeFileSync(`${dir}.lock`, '999999999');
    const release = lockDataDir(dir);
    expect(existsSync(`${dir}.lock`)).toBe(true);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});

describe('PostgreSQL that cannot be reached', () => {
  it('gives one line with host and port and what to do', async () => {
    await expect(openDatabase('postgres://postgres@127.0.0.1:1/none')).rejects.toThrow(
      'cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): start the server, or unset DATABASE_URL to use the embedded database',
    );
  });
});

const pgUrl = process.env.TEST_DATABASE_URL;
if (!pgUrl) console.info('TEST_DATABASE_URL is not set: the connection pool tests do not run');

describe.runIf(pgUrl)('the PostgreSQL connection pool', () => {
  /** How many server connections `url`'s pool uses for 8 statements at once, each holding its connection 100 ms. */
  async function connectionsUsed(url: string): Promise<number> {
    const handle = await openDatabase(url);
    try {
      const pids = await Promise.all(
        Array.from({ length: 8 }, () => handle.raw('select pg_backend_pid() as pid, pg_sleep(0.1)', [])),
      );
      return new Set(pids.map((rows) => (rows[0] as { pid: number }).pid)).size;
    } finally {
      await handle.close();
    }
  }

  it(`opens ${POOL_MAX} connections by default, and as many as DATABASE_URL's ?max= says`, async () => {
    const url = new URL(pgUrl as string);
    expect(await connectionsUsed(url.toString())).toBe(POOL_MAX);
    url.searchParams.set('max', '5');
    expect(await connectionsUsed(url.toString())).toBe(5);
  });

  it('refuses a ?max= that is not a whole number from 1, naming DATABASE_URL', async () => {
    const url = new URL(pgUrl as string);
    url.searchParams.set('max', 'ten');
    await expect(openDatabase(url.toString())).rejects.toThrow(/DATABASE_URL's \?max= .*"ten"/);
  });
});
