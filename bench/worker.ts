/**
 * `npm run bench -- worker`: the Worker under `wrangler dev` beside the Node server, under the same
 * load: wrk, 50 connections, signed app_mention deliveries (each once), the same fake Web API, a
 * fresh PostgreSQL database per run. The Worker runs twice: straight to PostgreSQL (one connection
 * per request) and through PgBouncer in transaction mode (`prepare=false`), standing in for
 * Hyperdrive. Each target runs on a quiet machine and beside a CPU-bound process.
 * BENCH_SECONDS sets the measured run (default 10 s), BENCH_POOLER_SIZE PgBouncer's server connections;
 * `-- worker --quiet` skips the runs beside a CPU-bound process, `--only=node,worker,pooler` picks targets;
 * BENCH_WORKER_BUNDLE measures another build of the Worker (`wrangler deploy --dry-run --outdir`'s main module).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { FakeApi } from './fake-api.js';
import { projectTsxStart } from './targets.js';
import { measureWorkerTarget, printWorkerRows, type WorkerRow, type WorkerTarget } from './worker-measure.js';
import { buildWorker, findPgbouncer, startCpuHog } from './worker-processes.js';
import { findWrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const POOL_SIZE = Number(process.env.BENCH_POOLER_SIZE ?? 10);

/** Runs the Worker case; exit code 2 when wrk is missing. */
export async function benchWorker(): Promise<void> {
  if (!findWrk()) {
    console.log(
      'worker: wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk`',
    );
    process.exitCode = 2;
    return;
  }
  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  const fake = await new FakeApi().start();
  const work = await mkdtemp(join(tmpdir(), 'bench-worker-'));
  const pooler = findPgbouncer();
  console.log(
    `worker: signed app_mention deliveries, wrk ${CONNECTIONS} connections, ${SECONDS} s after a 2 s warm-up, ` +
      `PostgreSQL ${new URL(adminUrl).host} (fresh database per run); load average ${os
        .loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores`,
  );
  if (!pooler)
    console.log(
      '  PgBouncer is not installed (`apt-get install -y pgbouncer`): the pooled Worker is skipped',
    );
  const targets: WorkerTarget[] = [
    { label: 'node (dev:http)', kind: 'node', start: projectTsxStart() },
    { label: 'worker, direct', kind: 'worker' },
    ...(pooler
      ? [{ label: `worker, pooler (${POOL_SIZE})`, kind: 'pooler' as const, poolSize: POOL_SIZE }]
      : []),
  ];
  const argv = process.argv.slice(2);
  const only = argv
    .find((arg) => arg.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const chosen = only ? targets.filter((target) => only.includes(target.kind)) : targets;
  // Built once, as `wrangler deploy` uploads it: wrangler dev would rebuild and restart it on any edit under src/.
  const bundle = process.env.BENCH_WORKER_BUNDLE ?? buildWorker(work);
  const base = { adminUrl, admin, fake, work, bundle, seconds: SECONDS, connections: CONNECTIONS };
  const rows: WorkerRow[] = [];
  try {
    for (const busy of argv.includes('--quiet') ? [false] : [false, true]) {
      for (const target of chosen) {
        const hog = busy ? startCpuHog() : null;
        try {
          rows.push(await measureWorkerTarget({ ...base, target, busy }));
        } finally {
          await hog?.stop();
        }
      }
    }
    printWorkerRows(rows);
  } finally {
    await fake.stop();
    await admin.end();
    await rm(work, { recursive: true, force: true });
  }
}
