/**
 * The processes the Worker bench starts: `wrangler dev` (the Worker in workerd, vars from an
 * .env-style file, never .dev.vars), PgBouncer in transaction mode standing in for Hyperdrive, and
 * a CPU-bound process to share the machine with. Each is stopped by its own pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSecondsOf } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A port the kernel says is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A started child: its output so far, and how to stop it (SIGTERM, then SIGKILL after 10 s). */
export interface Child {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function start(command: string, args: string[], env: Record<string, string | undefined>): Child {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const add = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitFor(child: Child, pattern: RegExp, what: string, timeoutMs = 90_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pattern.test(child.output())) {
    if (child.child.exitCode !== null)
      throw new Error(`${what} exited with ${child.child.exitCode}:\n${child.output()}`);
    if (performance.now() > end) throw new Error(`${what} not ready in ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once `url` answers anything (the Worker's own 404 included). */
async function answers(child: Child, url: string, what: string, timeoutMs = 90_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (child.child.exitCode !== null)
      throw new Error(`${what} exited with ${child.child.exitCode}:\n${child.output()}`);
    const answered = await fetch(url).then(
      async (res) => {
        await res.arrayBuffer();
        return true;
      },
      () => false,
    );
    if (answered) return;
    if (performance.now() > end) throw new Error(`${what} not ready in ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `wrangler dev` on `port` with `vars` written to an .env-style file in `dir` (`--env-file`): the
 * developer's own .env and .dev.vars are not read. `bundle` is the Worker built once by
 * `buildWorker`: served as it is, so an edit under src/ does not rebuild and restart it mid-run.
 * Resolves once the Worker is ready.
 */
export async function startWrangler(
  dir: string,
  port: number,
  vars: Record<string, string>,
  bundle?: string,
): Promise<Child> {
  const envFile = join(dir, `worker-${port}.env`);
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const args = [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    ...(bundle ? [bundle, '--no-bundle', '--config', 'wrangler.toml'] : []),
    ...['--port', String(port), '--ip', '127.0.0.1', '--inspector-port', String(await freePort())],
    ...['--env-file', envFile, '--show-interactive-dev-session=false'],
  ];
  const child = start(process.execPath, args, { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' });
  await answers(child, `http://127.0.0.1:${port}/`, 'wrangler dev');
  return child;
}

/** The Worker as `wrangler deploy` would upload it (`--dry-run --outdir`), in `dir`; returns its main module. */
export function buildWorker(dir: string): string {
  const out = join(dir, 'worker-bundle');
  execFileSync(
    process.execPath,
    ['node_modules/wrangler/bin/wrangler.js', 'deploy', '--dry-run', '--outdir', out],
    {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    },
  );
  return join(out, 'worker.js');
}

/** PgBouncer's path, or null when it is not installed. */
export function findPgbouncer(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * PgBouncer in transaction mode on `port`, in front of `upstream` (host and port), as Hyperdrive
 * pools: a server connection is lent for one transaction. Trust auth; every database name passes
 * through. `statement_timeout` sent at start-up is ignored here (through a pooler it belongs on the role).
 */
export async function startPgbouncer(
  dir: string,
  port: number,
  upstream: { host: string; port: number; user: string },
  poolSize: number,
): Promise<Child> {
  const folder = join(dir, 'pgbouncer');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'users.txt'), `"${upstream.user}" ""\n`);
  const ini = `[databases]
* = host=${upstream.host} port=${upstream.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(folder, 'users.txt')}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 2000
ignore_startup_parameters = statement_timeout,extra_float_digits
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
`;
  writeFileSync(join(folder, 'pgbouncer.ini'), ini);
  // PgBouncer refuses to run as root: it switches to the postgres user, which must read its files.
  chmodSync(dir, 0o755);
  chmodSync(folder, 0o755);
  const asRoot = process.getuid?.() === 0;
  const child = start('pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), join(folder, 'pgbouncer.ini')], {
    ...process.env,
  });
  await waitFor(child, /process up|listening on/, 'pgbouncer', 10_000);
  return child;
}

/** A process that keeps one core busy (`for (;;) {}`), as other work on the machine would. */
export function startCpuHog(): Child {
  return start(process.execPath, ['-e', 'for (;;) {}'], { PATH: process.env.PATH });
}

/** `pid` and every process below it (wrangler's workerd). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1]?.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone since the listing
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? 0) ?? []));
  return tree;
}

/**
 * CPU seconds PostgreSQL has used so far: its live processes, and (from the postmaster's
 * cutime/cstime) the backends that have exited, as a Worker's one connection per request does.
 */
export function databaseCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime
      // The postmaster (its parent is not postgres) has reaped every backend that exited.
      const parent = Number(fields[1]);
      const parentComm = readFileSync(`/proc/${parent}/comm`, 'utf8').trim();
      if (parentComm !== 'postgres') total += (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime
    } catch {
      // gone since the listing
    }
  }
  return total;
}

/** CPU seconds used so far by `pid` and the processes below it. */
export const treeCpuSeconds = (pid: number) =>
  processTree(pid).reduce((sum, each) => sum + cpuSecondsOf(each), 0);

/**
 * CPU seconds used so far by the workerd below `pid` that runs the Worker itself: wrangler dev
 * starts two, and only that one is given an inspector address (the other is wrangler's proxy).
 */
export function workerRuntimeCpuSeconds(pid: number): number {
  return processTree(pid)
    .filter((each) => {
      try {
        const args = readFileSync(`/proc/${each}/cmdline`, 'utf8').split('\0');
        return args[0]?.endsWith('/workerd') && args.some((arg) => arg.startsWith('--inspector-addr'));
      } catch {
        return false;
      }
    })
    .reduce((sum, each) => sum + cpuSecondsOf(each), 0);
}
