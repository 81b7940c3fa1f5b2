/**
 * One run of the Worker bench: a fresh database, the target (the Node server, or `wrangler dev`
 * straight to PostgreSQL or through PgBouncer), a warm-up, the measured wrk run, and what it cost:
 * CPU per handled delivery, and statements and server connections per delivery as PostgreSQL
 * counted them (pg_stat_database, read once every connection has closed and flushed its counts).
 */
import { join } from 'node:path';
import postgres from 'postgres';
import type { FakeApi } from './fake-api.js';
import { freshDatabase } from './http-measure.js';
import { type Start, startTarget } from './targets.js';
import {
  databaseCpuSeconds,
  freePort,
  startPgbouncer,
  startWrangler,
  treeCpuSeconds,
  workerRuntimeCpuSeconds,
} from './worker-processes.js';
import { runWrk, type WrkResult, writePool } from './wrk.js';

const SECRET = 'bench-signing-secret';
const WARMUP_SECONDS = 2;
/** Distinct deliveries written for each run: more than any target sends in it. */
const POOL = 40_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What is measured: the Node server, or the Worker straight to PostgreSQL or through the pooler. */
export type WorkerTarget =
  | { label: string; kind: 'node'; start: Start }
  | { label: string; kind: 'worker' }
  | { label: string; kind: 'pooler'; poolSize: number };

export interface WorkerRunOptions {
  target: WorkerTarget;
  /** A CPU-bound process runs beside it. */
  busy: boolean;
  adminUrl: string;
  admin: postgres.Sql;
  fake: FakeApi;
  work: string;
  /** The Worker built once (`buildWorker`). */
  bundle: string;
  seconds: number;
  connections: number;
}

/** One run's figures. */
export interface WorkerRow {
  label: string;
  busy: boolean;
  wrk: WrkResult;
  ackedPerSecond: number;
  /** chat.postMessage calls the fake received for the measured run's deliveries. */
  handled: number;
  /** Outbox rows left pending or running once the wait for them ended. */
  unfinished: number;
  /** Statements (transactions) and new server connections per recorded delivery, warm-up included. */
  statements: number;
  connections: number;
  /**
   * CPU µs per handled delivery: the server (wrangler dev's node and both its workerd, or node), the
   * Worker's own workerd alone (the node server: the same figure), and PostgreSQL + PgBouncer.
   */
  serverUs: number;
  workerUs: number;
  databaseUs: number;
}

interface Counts {
  xacts: number;
  sessions: number;
}

async function databaseCounts(admin: postgres.Sql, name: string): Promise<Counts> {
  const [row] = await admin<{ xacts: number; sessions: number }[]>`
    select (xact_commit + xact_rollback)::int as xacts, sessions::int as sessions
    from pg_stat_database where datname = ${name}`;
  return { xacts: row?.xacts ?? 0, sessions: row?.sessions ?? 0 };
}

/** Measures one target under the load, on a fresh database. */
export async function measureWorkerTarget(options: WorkerRunOptions): Promise<WorkerRow> {
  const { target, admin, fake, work } = options;
  const name = `bench_worker_${target.kind}_${options.busy ? 'busy' : 'quiet'}_${process.pid}`;
  const databaseUrl = await freshDatabase(options, name);
  await sleep(300); // the migration's connection has closed and flushed its counts
  const start = await databaseCounts(admin, name);
  const stops: (() => Promise<void>)[] = [];
  const cpuOf: { server: () => number; worker: () => number; database: () => number } = {
    server: () => 0,
    worker: () => 0,
    database: databaseCpuSeconds,
  };
  let own = 0; // statements this bench runs on the database itself
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    let url = databaseUrl;
    if (target.kind === 'pooler') {
      const upstream = new URL(databaseUrl);
      const poolerPort = await freePort();
      const pgbouncer = await startPgbouncer(
        work,
        poolerPort,
        {
          host: upstream.hostname,
          port: Number(upstream.port || 5432),
          user: upstream.username || 'postgres',
        },
        target.poolSize,
      );
      stops.unshift(pgbouncer.stop);
      const pid = pgbouncer.child.pid ?? 0;
      cpuOf.database = () => databaseCpuSeconds() + treeCpuSeconds(pid);
      // Prepared statements off, as with a transaction pooler that does not carry them across connections.
      url = `postgres://${upstream.username || 'postgres'}@127.0.0.1:${poolerPort}/${name}?prepare=false`;
    }
    const port = await freePort();
    const vars = {
      DATABASE_URL: url,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_RATE_LIMITS: 'off', // the path, not Slack's limits
      LOG_LEVEL: 'error',
    };
    if (target.kind === 'node') {
      const server = await startTarget(target.start, port, { ...vars, BENCH_MIGRATED: '1' });
      stops.unshift(server.stop);
      cpuOf.server = () => treeCpuSeconds(server.pid);
      cpuOf.worker = cpuOf.server;
    } else {
      const wrangler = await startWrangler(work, port, vars, options.bundle);
      stops.unshift(wrangler.stop);
      const pid = wrangler.child.pid ?? 0;
      cpuOf.server = () => treeCpuSeconds(pid);
      cpuOf.worker = () => workerRuntimeCpuSeconds(pid);
    }
    const unfinished = async () => {
      own++;
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from outbox where status in ('pending', 'running')`;
      return row?.n ?? 0;
    };
    const drained = async (count: number) => {
      await fake.waitFor(count, 120_000);
      const end = performance.now() + 30_000;
      while ((await unfinished()) > 0 && performance.now() < end) await sleep(100);
    };
    const run = String(Date.now() % 1e8).padStart(8, '0');
    const warmPool = join(work, 'worker-warm.pool');
    const pool = join(work, 'worker-main.pool');
    await writePool(warmPool, `${run}1`, POOL, SECRET);
    await writePool(pool, `${run}2`, POOL, SECRET);
    const eventsUrl = `http://127.0.0.1:${port}/slack/events`;
    const load = { seconds: options.seconds, connections: options.connections };
    fake.reset();
    const warm = await runWrk(eventsUrl, warmPool, { ...load, seconds: WARMUP_SECONDS });
    await drained(warm.acked);
    fake.reset();
    const before = { server: cpuOf.server(), worker: cpuOf.worker(), database: cpuOf.database() };
    const result = await runWrk(eventsUrl, pool, load);
    await fake.waitFor(result.acked, 120_000);
    const after = { server: cpuOf.server(), worker: cpuOf.worker(), database: cpuOf.database() };
    await drained(result.acked);
    const handled = fake.posted;
    const left = await unfinished();
    own++;
    const [recorded] = await sql<{ n: number }[]>`select count(*)::int as n from deliveries`;
    await sql.end();
    for (const stop of stops.splice(0)) await stop();
    await sleep(500); // every backend has exited and flushed its counts
    const end = await databaseCounts(admin, name);
    const deliveries = Math.max(1, recorded?.n ?? 0);
    const per = (key: keyof typeof before) => ((after[key] - before[key]) / Math.max(1, handled)) * 1e6;
    return {
      label: target.label,
      busy: options.busy,
      wrk: result,
      ackedPerSecond: result.acked / result.seconds,
      handled,
      unfinished: left,
      // The bench's own connection and statements are not the target's.
      statements: (end.xacts - start.xacts - own) / deliveries,
      connections: (end.sessions - start.sessions - 1) / deliveries,
      serverUs: per('server'),
      workerUs: per('worker'),
      databaseUs: per('database'),
    };
  } finally {
    await sql.end().catch(() => {});
    for (const stop of stops) await stop();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const HEAD = ['target', 'beside', 'sent', 'acked', 'acks/s', 'p50', 'p99', 'max', 'handled'];
const MORE = ['stmts/dlv', 'conns/dlv', 'server µs', 'worker µs', 'db µs'];
const WIDTHS = [22, 9, 7, 7, 7, 9, 9, 9, 8, 10, 10, 10, 10, 8];
const line = (cells: string[]) =>
  `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(WIDTHS[i] ?? 0) : cell.padStart(WIDTHS[i] ?? 0))).join(' ')}`;

/** One line per run, then what the columns mean. */
export function printWorkerRows(rows: WorkerRow[]): void {
  console.log(line([...HEAD, ...MORE]));
  for (const row of rows) {
    const { wrk } = row;
    const notes = [
      wrk.non2xx ? `${wrk.non2xx} not 2xx` : '',
      wrk.socketErrors ? `${wrk.socketErrors} socket errors/timeouts` : '',
      wrk.max >= 3_000 ? 'an ack took 3 s or more' : '',
      row.handled < wrk.acked ? `${wrk.acked - row.handled} acked, never posted` : '',
      row.unfinished ? `${row.unfinished} effects left in the outbox` : '',
    ].filter(Boolean);
    const cells = [
      row.label,
      row.busy ? 'CPU hog' : 'quiet',
      int(wrk.requests),
      int(wrk.acked),
      int(row.ackedPerSecond),
      ms(wrk.p50),
      ms(wrk.p99),
      ms(wrk.max),
      int(row.handled),
      row.statements.toFixed(2),
      row.connections.toFixed(3),
      int(row.serverUs),
      int(row.workerUs),
      int(row.databaseUs),
    ];
    console.log(line(cells) + (notes.length ? `  (${notes.join('; ')})` : ''));
  }
  console.log(
    '  beside: a quiet machine, or a CPU-bound process (one core) beside it; stmts/dlv and conns/dlv: transactions' +
      ' and new server connections PostgreSQL counted per recorded delivery (warm-up included); µs: CPU per handled' +
      " delivery of the server (wrangler dev: its node, its proxy and the Worker's workerd), of the Worker's" +
      ' workerd alone (what Cloudflare runs), and of PostgreSQL (+ PgBouncer)',
  );
}
