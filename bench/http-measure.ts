/** One target of the HTTP bench: a fresh database, the server, a warm-up, the measured wrk run, its CPU and RSS. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { openDatabase } from '../src/db/open.js';
import type { FakeApi } from './fake-api.js';
import { cpuSecondsOf } from './stats.js';
import { type Start, startTarget } from './targets.js';
import { runWrk, type WrkResult, writePool } from './wrk.js';

const SECRET = 'bench-signing-secret';
/**
 * The warm-up before each measured run (BENCH_WARMUP, seconds). The project's code is larger than the
 * minimum's: V8 keeps optimizing it for tens of seconds under load, so a short warm-up measures part
 * of that one-time compiling too (10+ s for steady state).
 */
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 2);
const POOL = Number(process.env.BENCH_POOL ?? 200_000);
const WARM_POOL = 50_000;
/** The first port a target listens on (BENCH_PORT): another bench running beside this one takes 3950 and up. */
let nextPort = Number(process.env.BENCH_PORT ?? 3950);

/** What a target needs: where PostgreSQL is, the fake Web API, a scratch folder, the load. */
export interface TargetOptions {
  label: string;
  start: Start;
  adminUrl: string;
  admin: postgres.Sql;
  fake: FakeApi;
  work: string;
  seconds: number;
  connections: number;
  /** Ask the server (bench/server.ts) for its memory breakdown at idle and after the load. */
  memory?: boolean;
  /** Scrape `/metrics` every second while the load runs, with this inspector token, as Prometheus would. */
  scrape?: string;
  /** A steady offered load instead of as fast as answered: each connection pauses this long after an answer. */
  pauseMs?: number;
}

/** One target's figures. */
export interface Measured {
  label: string;
  wrk: WrkResult;
  pool: number;
  ackedPerSecond: number;
  handled: number;
  handledPerSecond: number;
  /** CPU µs per handled delivery, of the server process alone and of every PostgreSQL process. */
  serverUs: number;
  postgresUs: number;
  /** The server's share of one core while the load ran. */
  serverCores: number;
  idleRssMiB: number;
  peakRssMiB: number;
  memory?: Record<string, string>;
  /** `/metrics` scrapes during the measured run: answered 200, and in all; the last one's size. */
  scrapes?: { ok: number; all: number; bytes: number };
  /** The measured run, in CLOCK_MONOTONIC µs (a .cpuprofile's clock): from wrk's start to the last post. */
  window: [number, number];
}

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0) / 1024);
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh database `name`, migrated by the project, with the organization and channel link the load mentions. */
export async function freshDatabase(
  options: Pick<TargetOptions, 'admin' | 'adminUrl'>,
  name: string,
): Promise<string> {
  await options.admin.unsafe(`drop database if exists "${name}" with (force)`);
  await options.admin.unsafe(`create database "${name}"`);
  const url = new URL(options.adminUrl);
  url.pathname = `/${name}`;
  // Migrated by the project; one linked channel, so both targets reply with text naming it.
  const db = await openDatabase(url.toString(), { migrate: true, max: 1 });
  await db.raw("insert into organizations (slug, name) values ('bench', 'Bench Org')", []);
  await db.raw(
    "insert into channel_links (team_id, channel_id, organization_id, linked_by) select 'T0BENCH01', 'C0BENCH01', id, 'U0BENCH01' from organizations",
    [],
  );
  await db.close();
  return url.toString();
}

/**
 * The PostgreSQL processes that serve database `name`: its backends (the server's connections,
 * autovacuum on it) and those of no database (WAL writer, checkpointer…), not other databases'
 * backends: other work on the machine (tests) comes and goes with its own.
 */
async function servingPids(admin: postgres.Sql, name: string): Promise<number[]> {
  const rows = await admin<{ pid: number }[]>`
    select pid from pg_stat_activity where (datname = ${name} or datname is null) and pid <> pg_backend_pid()`;
  return rows.map((row) => row.pid);
}

/** CPU seconds of each process in `pids` (0 for one gone: its counter never goes down otherwise). */
const cpuSecondsOfEach = (pids: number[]) => new Map(pids.map((pid) => [pid, cpuSecondsOf(pid)]));

async function unfinished(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from outbox where status in ('pending', 'running')`;
  return row?.n ?? 0;
}

/** Waits until the fake got `count` posts and the outbox holds nothing pending or running. */
async function drained(fake: FakeApi, sql: postgres.Sql, count: number): Promise<void> {
  await fake.waitFor(count, 120_000);
  const end = performance.now() + 60_000;
  while ((await unfinished(sql)) > 0 && performance.now() < end) await sleep(50);
}

/** Measures one target. */
export async function measureTarget(options: TargetOptions): Promise<Measured> {
  const { fake, work } = options;
  const name = `bench_http_${options.label.replace(/\W+/g, '_')}_${process.pid}`;
  const databaseUrl = await freshDatabase(options, name);
  // Digits only: the run goes into each message's ts, which Slack (and the project) keep numeric.
  const run = String(Date.now() % 1e8).padStart(8, '0');
  const warmPool = join(work, 'warm.pool');
  const pool = join(work, 'main.pool');
  await writePool(warmPool, `${run}1`, WARM_POOL, SECRET);
  await writePool(pool, `${run}2`, POOL, SECRET);
  const port = nextPort++;
  const memoryFile = join(work, `memory-${port}.jsonl`);
  const diagnostics: Record<string, string> = options.memory
    ? { BENCH_MEMORY_FILE: memoryFile, BENCH_TRACE_LOADS: '1' }
    : {};
  const server = await startTarget(options.start, port, {
    DATABASE_URL: databaseUrl,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    // The fake answers every call: the bench measures the path, not Slack's limits (`npm run bench -- lanes` does).
    SLACK_RATE_LIMITS: 'off',
    BENCH_MIGRATED: '1',
    ...diagnostics,
  });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const memory: Record<string, string> = {};
  try {
    await sleep(1_000);
    const idleRssMiB = status(server.pid, 'VmRSS');
    if (options.memory) memory.idle = await memoryReport(server.pid, memoryFile);
    const url = `http://127.0.0.1:${port}/slack/events`;
    const load = { seconds: options.seconds, connections: options.connections, pauseMs: options.pauseMs };
    fake.reset();
    const warm = await runWrk(url, warmPool, { ...load, seconds: WARMUP_SECONDS });
    await drained(fake, sql, warm.acked);
    fake.reset();
    const serving = await servingPids(options.admin, name);
    const before = { server: cpuSecondsOf(server.pid), postgres: cpuSecondsOfEach(serving) };
    const started = performance.now();
    const startedUs = monotonicUs();
    const scraping = options.scrape ? scrapeEverySecond(port, options.scrape) : null;
    const result = await runWrk(url, pool, load).finally(() => scraping?.stop());
    await fake.waitFor(result.acked, 120_000);
    const after = {
      server: cpuSecondsOf(server.pid),
      postgres: cpuSecondsOfEach([...serving, ...(await servingPids(options.admin, name))]),
    };
    await drained(fake, sql, result.acked);
    const handled = fake.posted;
    const handledSeconds = (fake.lastAt - started) / 1000;
    const window: [number, number] = [startedUs, startedUs + handledSeconds * 1e6];
    const used = {
      server: after.server - before.server,
      // Per process: one that started during the run counts whole, one that ended is lost (not negative).
      postgres: [...after.postgres].reduce(
        (n, [pid, s]) => n + Math.max(0, s - (before.postgres.get(pid) ?? 0)),
        0,
      ),
    };
    const per = (k: keyof typeof used) => (used[k] / Math.max(1, handled)) * 1e6;
    if (options.memory) memory.loaded = await memoryReport(server.pid, memoryFile);
    return {
      label: options.label,
      wrk: result,
      pool: POOL,
      ackedPerSecond: result.acked / result.seconds,
      handled,
      handledPerSecond: handled / handledSeconds,
      serverUs: per('server'),
      postgresUs: per('postgres'),
      serverCores: used.server / handledSeconds,
      idleRssMiB,
      peakRssMiB: status(server.pid, 'VmHWM'),
      ...(options.memory ? { memory } : {}),
      ...(scraping ? { scrapes: scraping.counts } : {}),
      window,
    };
  } finally {
    await sql.end();
    await server.stop();
    await options.admin.unsafe(`drop database if exists "${name}" with (force)`);
  }
}

/** Fetches `/metrics` every second until stopped, counting the answers. */
function scrapeEverySecond(port: number, token: string) {
  const counts = { ok: 0, all: 0, bytes: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(1_000);
      counts.all++;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => null);
      const text = res?.ok ? await res.text() : '';
      if (text.includes('slack_router_deliveries_total')) {
        counts.ok++;
        counts.bytes = text.length;
      }
    }
  })();
  return {
    counts,
    stop: () => {
      stopped = true;
      return loop;
    },
  };
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** The server's own breakdown (SIGUSR2 → a line in `file`) and the kernel's anonymous vs file-backed RSS. */
async function memoryReport(pid: number, file: string): Promise<string> {
  process.kill(pid, 'SIGUSR2');
  await sleep(300);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const report = JSON.parse(lines.at(-1) ?? '{}') as {
    memory: NodeJS.MemoryUsage;
    pgliteLoaded: boolean;
    modules: number;
    byPackage: Record<string, number>;
  };
  const smaps = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(smaps)?.[1] ?? 0) * 1024;
  const m = report.memory;
  const top = Object.entries(report.byPackage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return (
    `rss ${mib(m.rss)} = anonymous ${mib(kb('Anonymous'))} + file-backed ${mib(kb('Rss') - kb('Anonymous'))}; ` +
    `heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)} ` +
    `(array buffers ${mib(m.arrayBuffers)}); PGlite loaded: ${report.pgliteLoaded}; ` +
    (report.modules
      ? `${report.modules} modules (${top})`
      : 'modules not traced (a bundle imports its packages before the hook is registered)')
  );
}
