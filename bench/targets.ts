/**
 * The servers the HTTP bench measures, each a child process started with the same environment:
 * the project and the durable minimum. Ready when its port accepts; stopped with SIGTERM.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * How a target starts: the command and its arguments; `startTarget` adds PORT, DATABASE_URL and the
 * Slack keys. `env` overrides the production settings (NODE_ENV=production, the inspector not fed).
 */
export interface Start {
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** How long it may take to listen (default 60 s; a server under Valgrind takes longer). */
  readyMs?: number;
}

/**
 * The inspector fed, as `npm start` runs it in development: no NODE_ENV, and a token, so it stays
 * fed (and closed to others) whether the built server counts as production or not.
 */
export const INSPECTOR_ON: Start['env'] = {
  NODE_ENV: undefined,
  INSPECTOR_TOKEN: 'bench-inspector-token-0123456789',
};

/**
 * The project as production runs it (`npm start`): dist/node.js, built by `npm run build`
 * (buildProduction() below), run by plain node. `nodeArgs` are extra node flags; `root` another
 * copy of the project, built.
 */
export function projectStart(nodeArgs: string[] = [], env?: Start['env'], root = ROOT): Start {
  return { command: process.execPath, args: [...nodeArgs, join(root, 'dist', 'node.js')], env };
}

/**
 * The project from source under tsx (bench/server.ts): `npm run dev:http`'s way. The profile uses it
 * (frames keep their src/ files) and `--memory` (the server answers SIGUSR2 with a breakdown).
 */
export function projectTsxStart(nodeArgs: string[] = [], env?: Start['env']): Start {
  return { command: process.execPath, args: [...nodeArgs, '--import', 'tsx', 'bench/server.ts'], env };
}

/** Runs `npm run <script>` in the project (the production builds); returns what it printed. */
export function npmRun(script: string): string {
  return execFileSync('npm', ['run', '--silent', script], { cwd: ROOT, encoding: 'utf8' });
}

/** `npm run build`: dist/node.js and the rest, for projectStart(). Returns the lines it printed. */
export const buildProduction = () => npmRun('build').trim().split('\n');

/** `entry` bundled by esbuild (packages left to node_modules) into node_modules/.cache/bench/: its path. */
async function bundledFile(entry: string): Promise<string> {
  const dir = fileURLToPath(new URL('../node_modules/.cache/bench/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const outfile = `${dir}${entry.replace(/\.ts$/, '.mjs')}`;
  await build({
    entryPoints: [fileURLToPath(new URL(`./${entry}`, import.meta.url))],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** `entry` bundled (`bundledFile`), run by plain node. */
async function bundled(entry: string, nodeArgs: string[]): Promise<Start> {
  return { command: process.execPath, args: [...nodeArgs, await bundledFile(entry)] };
}

/** Node flags that register an OpenTelemetry SDK exporting to nowhere (bench/tracing.ts) before the server starts. */
export const tracingArgs = async () => ['--import', await bundledFile('tracing.ts')];

/** The durable minimum, bundled and run by plain node. */
export const minimumStart = (nodeArgs: string[] = []) => bundled('minimum.ts', nodeArgs);

/**
 * bench/server.ts bundled by esbuild and run by plain node: like dist/node.js, with bench/server.ts's
 * diagnostics (`--memory`). The bench has migrated its database (the bundle has no drizzle/ beside it).
 */
export const projectBundledStart = (nodeArgs: string[] = []) => bundled('server.ts', nodeArgs);

/** A running target. */
export interface Running {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `start` on `port`; resolves once the port accepts connections. */
export async function startTarget(start: Start, port: number, env: Record<string, string>): Promise<Running> {
  // Production settings unless `start.env` says otherwise: NODE_ENV=production (the inspector is
  // hidden and not fed), quiet logs.
  const merged: Record<string, string | undefined> = {
    ...process.env,
    ...env,
    PORT: String(port),
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
    INSPECTOR_TOKEN: undefined,
    ...start.env,
  };
  const child = spawn(start.command, start.args, {
    env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const readyMs = start.readyMs ?? 60_000;
  const deadline = performance.now() + readyMs;
  while (!(await accepts(port))) {
    if (exited !== undefined) throw new Error(`${start.args.at(-1)} exited with ${exited} before listening`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${start.args.at(-1)} did not listen on ${port} in ${readyMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    pid: child.pid ?? 0,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
