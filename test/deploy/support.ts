/** Shared by the deploy tests: builds into temp folders, plain-node processes, PostgreSQL databases. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { type Spawned, spawnProcess } from '../helpers/spawn.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = pathToFileURL(`${root}node_modules/tsx/dist/loader.mjs`).href;

/** The machine is shared: processes can take tens of seconds to start under load. */
export const SLOW_MS = 120_000;

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `deploy-${prefix}-`));

/** A process we started, its output so far, and its exit. */
export type Proc = Spawned;

/** Runs `command args` in `cwd` with only `env` (plus PATH and HOME), in its own process group. */
export const run = (command: string, args: string[], env: Record<string, string>, cwd: string): Proc =>
  spawnProcess(command, args, env, { cwd, detached: true, waitMs: SLOW_MS });

/** Runs a repository script through tsx (as `npm run build` does) and waits for it. */
export async function runTsx(
  script: string,
  args: string[],
  cwd = root,
): Promise<{ code: number | null; out: string }> {
  const proc = run(process.execPath, ['--import', tsx, `${root}${script}`, ...args], {}, cwd);
  const code = await proc.exited;
  return { code, out: proc.output() };
}

/** A stack trace's frame line: no user-facing error may print one. */
export const STACK_FRAME = /^\s+at /m;

/** Polls `url` until it answers (any status), for servers that take long to start on a busy machine. */
export async function waitForHttp(url: string, timeoutMs = SLOW_MS): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** An empty database (no migrations) on TEST_DATABASE_URL's server; `drop()` removes it. */
export async function emptyPostgres(
  adminUrl: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `router_deploy_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
