/**
 * The project's HTTP server as the bench runs it (`node --import tsx bench/server.ts`): PORT,
 * DATABASE_URL (unset: the embedded database in a fresh directory), SLACK_* from the environment.
 * SIGTERM closes it. Diagnostics: BENCH_MEMORY_FILE set → on SIGUSR2 appends a memory breakdown to it;
 * BENCH_TRACE_LOADS=1 also records every module loaded, to say which packages hold memory.
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';

const loaded: string[] = [];
if (process.env.BENCH_TRACE_LOADS === '1') {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url: string) => loaded.push(url));
  port1.unref();
  const hooks =
    'let port; export function initialize(data) { port = data.port; }' +
    ' export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
    data: { port: port2 },
    transferList: [port2],
  });
}

// After the hooks: the project's modules are loaded with them in place.
const { linkApp } = await import('../src/app/index.js');
const { loadConfig } = await import('../src/config/settings.js');
const { openDatabase } = await import('../src/db/open.js');
const { createLogger } = await import('../src/log/logger.js');
const { startHttpServer } = await import('../src/runtime/node-http.js');

/** Modules loaded so far, by package (node_modules/<name>) or `src` / `node:`. */
function modulesByPackage(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const url of loaded) {
    const name = url.startsWith('node:')
      ? 'node:'
      : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? 'src' : 'other'));
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const memoryFile = process.env.BENCH_MEMORY_FILE;
if (memoryFile) {
  process.on('SIGUSR2', () => {
    const report = {
      memory: process.memoryUsage(),
      pgliteLoaded: loaded.some((url) => url.includes('@electric-sql/pglite')),
      modules: loaded.length,
      byPackage: modulesByPackage(),
    };
    appendFileSync(memoryFile, `${JSON.stringify(report)}\n`);
  });
}

// No DATABASE_URL: the embedded database on disk, as `npm run dev:http` uses it, in a fresh directory.
if (!process.env.DATABASE_URL) process.chdir(mkdtempSync(join(tmpdir(), 'bench-http-')));
const config = loadConfig(process.env);
// BENCH_MIGRATED=1: the bench migrated it (a bundled server has no drizzle/ folder beside it).
const database = await openDatabase(config.DATABASE_URL, { migrate: process.env.BENCH_MIGRATED !== '1' });
const app = linkApp();
const server = await startHttpServer({
  app,
  settings: app.settings(process.env),
  config,
  database,
  logger: createLogger('error'),
});
process.once('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
