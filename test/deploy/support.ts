/** Shared by the deploy tests: builds into temp folders, plain-node processes, PostgreSQL databases. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = pathToFileURL(`${root}node_modules/tsx/dist/loader.mjs`).href;

/** The machine is shared: processes can take tens of seconds to start under load. */
export const SLOW_MS = 120_000;

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `deploy-${prefix}-`));

/** A process we started, its output so far, and its exit. */
export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Ends the process (and its own group, for `npm start`) by its id. */
  stop(): Promise<number | null>;
}

/** Runs `command args` in `cwd` with only `env` (plus PATH and HOME), in its own process group. */
export function run(command: string, args: string[], env: Record<string, string>, cwd: string): Proc {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(text, timeoutMs = SLOW_MS) {
      const found = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      if (found()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`not seen in ${timeoutMs} ms: ${text}\n--- output ---\n${out}`));
        }, timeoutMs);
        const check = () => {
          if (!found()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then(() => {
          if (found()) return check();
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`exited before ${text}\n--- output ---\n${out}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      return exited;
    },
  };
}

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

/** A free-ish port per test file and purpose, away from the other suites' ranges. */
export const port = (offset: number) => 4300 + ((process.pid * 7 + offset) % 600);

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
