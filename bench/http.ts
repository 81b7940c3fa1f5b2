/**
 * The HTTP mount under load, beside the durable minimum (bench/minimum.ts) in the same run: wrk,
 * 50 connections, signed app_mention deliveries (distinct event id and ts), the same PostgreSQL
 * (a fresh database per target) and the same fake Web API. The project runs as production does:
 * `npm run build`, then plain node on dist/node.js, once with NODE_ENV=production (`project`: the
 * inspector not fed) and once with the inspector fed (`project, inspector on`: `npm start` in
 * development), then the same with an OpenTelemetry SDK registered (bench/tracing.ts: every delivery
 * traced, then a tenth) and /metrics scraped every second, and what that costs. Then the Lambda
 * bundle's size and cold start (bench/lambda.ts) and the Worker bundle's size. Options after `-- http`: `--tsx` adds the project from source under tsx;
 * `--bundled` bench/server.ts bundled and run by plain node; `--payloads` the project with the
 * inspector fed and DELIVERY_PAYLOADS=true; `--profile` a CPU profile of the project (from source,
 * inspector fed) and of the minimum under that load; `--memory` a breakdown of the project's memory
 * at idle and after the load (from source, and bundled with `--bundled`). BENCH_COMPARE=<folder>
 * also measures <folder>/dist/node.js (another commit, built there) in each round, inspector off and on.
 * BENCH_ROUNDS: rounds (each starts one target further on; with more than one, the medians follow).
 * BENCH_PAUSE_MS: a steady offered load (each connection pauses that long after an answer) to compare
 * CPU per delivery at the same pace rather than as fast as answered.
 */
import { readFileSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { FakeProduct } from '../src/app/fake-product.js';
import { FakeApi } from './fake-api.js';
import { type Measured, measureTarget, type TargetOptions, WARMUP_SECONDS } from './http-measure.js';
import { printRows, workerBundle } from './http-report.js';
import { benchLambda } from './lambda.js';
import { summarizeProfile } from './profile.js';
import { median } from './stats.js';
import {
  buildProduction,
  INSPECTOR_ON,
  minimumStart,
  projectBundledStart,
  projectStart,
  projectTsxStart,
  type Start,
  tracingArgs,
} from './targets.js';
import { findWrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const CONNECTIONS = 50;
/** A steady offered load instead of as fast as answered: each connection pauses this long (ms) after an answer. */
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 0) || undefined;
/** Another build of the project (a folder holding its dist/, built with `npm run build`) to measure beside this one. */
const COMPARE = process.env.BENCH_COMPARE;
/** The inspector fed, and each recorded delivery's redacted event stored in its row. */
const PAYLOADS = { ...INSPECTOR_ON, DELIVERY_PAYLOADS: 'true' };

/** Runs the HTTP case; exit code 2 when wrk is missing. */
export async function benchHttp(): Promise<void> {
  if (!findWrk()) {
    console.log('http: wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk`');
    process.exitCode = 2;
    return;
  }
  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  const fake = await new FakeApi().start();
  // The flow with a step is handled once its chat.update arrives; the product answers its task.
  const stepFake = await new FakeApi('chat.update').start();
  const product = new FakeProduct([{ slug: 'bench', name: 'Bench Org', summary: 'all green' }]);
  await product.start();
  const work = await mkdtemp(join(tmpdir(), 'bench-http-'));
  const base = { adminUrl, admin, fake, work, seconds: SECONDS, connections: CONNECTIONS, pauseMs: PAUSE_MS };
  const where = new URL(adminUrl);
  console.log(
    `http: signed app_mention deliveries, wrk ${CONNECTIONS} connections, ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up, ` +
      `PostgreSQL ${where.host} (fresh database per target), ${ROUNDS} round(s)` +
      (PAUSE_MS ? `, each connection pausing ${PAUSE_MS} ms after an answer` : ''),
  );
  const argv = process.argv.slice(2);
  try {
    console.log(`  npm run build: ${buildProduction().join(', ')}`);
    const rounds: Measured[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const rows: Measured[] = [];
      // Other work on the machine takes cores from both targets and PostgreSQL: say how much there was.
      const load = os.loadavg().map((n) => n.toFixed(1));
      console.log(`  round ${round}: load average before it ${load.join(' ')} on ${os.cpus().length} cores`);
      const targets: TargetOptions[] = [
        { ...base, label: 'durable minimum', start: await minimumStart() },
        { ...base, label: 'project', start: projectStart() },
        { ...base, label: 'project, inspector on', start: projectStart([], INSPECTOR_ON) },
        // The same, with an OpenTelemetry SDK registered (spans batched to nowhere) and /metrics scraped every second.
        {
          ...base,
          label: 'project, inspector on, traced + scraped',
          start: projectStart(await tracingArgs(), INSPECTOR_ON),
          scrape: INSPECTOR_ON?.INSPECTOR_TOKEN,
        },
        // Sampled as a busy production would: a tenth of the deliveries traced (ParentBased(TraceIdRatio(0.1))).
        {
          ...base,
          label: 'project, inspector on, 10 % traced + scraped',
          start: projectStart(await tracingArgs(), { ...INSPECTOR_ON, BENCH_TRACE_RATIO: '0.1' }),
          scrape: INSPECTOR_ON?.INSPECTOR_TOKEN,
        },
        // The conversation: the reply, a task reading the product's API, and a step updating the reply.
        {
          ...base,
          fake: stepFake,
          label: 'project, mention with a step (post → task → update)',
          start: projectStart([], { PRODUCT_API_URL: product.url }),
        },
      ];
      if (COMPARE) {
        targets.push({ ...base, label: 'compared', start: projectStart([], undefined, COMPARE) });
        targets.push({
          ...base,
          label: 'compared, inspector on',
          start: projectStart([], INSPECTOR_ON, COMPARE),
        });
      }
      if (argv.includes('--payloads'))
        targets.push({
          ...base,
          label: 'project, inspector on, payloads',
          start: projectStart([], PAYLOADS),
        });
      if (argv.includes('--tsx')) targets.push({ ...base, label: 'project, tsx', start: projectTsxStart() });
      if (argv.includes('--bundled'))
        targets.push({ ...base, label: 'project, bundled', start: await projectBundledStart() });
      // Each round starts one target further on: no target always runs first (or last) on the machine.
      const shift = (round - 1) % targets.length;
      for (const target of [...targets.slice(shift), ...targets.slice(0, shift)])
        rows.push(await measureTarget(target));
      rows.sort(
        (a, b) =>
          targets.findIndex((t) => t.label === a.label) - targets.findIndex((t) => t.label === b.label),
      );
      printRows(rows, '');
      printObservability(rows);
      rounds.push(rows);
    }
    if (rounds.length > 1) {
      const medians = medianRows(rounds);
      printRows(medians, `median of ${rounds.length} rounds, each figure on its own`);
      printObservability(medians);
    }
    if (argv.includes('--memory')) await memory(base, 'project, tsx', projectTsxStart());
    if (argv.includes('--memory') && argv.includes('--bundled'))
      await memory(base, 'project, bundled', await projectBundledStart());
    if (argv.includes('--profile')) await profile(base, work);
    await benchLambda(base);
    console.log(`  worker bundle: ${workerBundle(work)}`);
  } finally {
    await stepFake.stop();
    await product.stop();
    await fake.stop();
    await admin.end();
    await rm(work, { recursive: true, force: true });
  }
}

type Base = Omit<TargetOptions, 'label' | 'start'>;

/**
 * Each target's figures as the median over the rounds, each figure on its own: one round on two
 * shared cores moves by 10–30 %, more than the differences the rows are there to show.
 */
function medianRows(rounds: Measured[][]): Measured[] {
  return (rounds[0] ?? []).map((first) => {
    const all = rounds.flatMap((rows) => rows.filter((row) => row.label === first.label));
    const of = (pick: (row: Measured) => number) => median(all.map(pick));
    const scrapes = first.scrapes && {
      ok: of((r) => r.scrapes?.ok ?? 0),
      all: of((r) => r.scrapes?.all ?? 0),
      bytes: of((r) => r.scrapes?.bytes ?? 0),
    };
    return {
      ...first,
      wrk: { ...first.wrk, p50: of((r) => r.wrk.p50), p99: of((r) => r.wrk.p99) },
      ackedPerSecond: of((r) => r.ackedPerSecond),
      handledPerSecond: of((r) => r.handledPerSecond),
      serverUs: of((r) => r.serverUs),
      postgresUs: of((r) => r.postgresUs),
      serverCores: of((r) => r.serverCores),
      idleRssMiB: of((r) => r.idleRssMiB),
      peakRssMiB: of((r) => r.peakRssMiB),
      ...(scrapes ? { scrapes } : {}),
    };
  });
}

/** What tracing and scraping cost: each such row's events handled/s and server CPU against the same row without. */
function printObservability(rows: Measured[]): void {
  const off = rows.find((row) => row.label === 'project, inspector on');
  if (!off) return;
  for (const on of rows.filter((row) => row.scrapes)) {
    const cost = (1 - on.handledPerSecond / off.handledPerSecond) * 100;
    const scraped = on.scrapes ? `${on.scrapes.ok} of ${on.scrapes.all} scrapes answered` : '';
    console.log(
      `  ${on.label.replace('project, inspector on, ', '')} vs not: handled/s ${Math.round(on.handledPerSecond)} vs ` +
        `${Math.round(off.handledPerSecond)}, cost ${cost.toFixed(1)} % (≤ 5 %: ${cost <= 5 ? 'yes' : 'no'}), ` +
        `server CPU +${Math.round(on.serverUs - off.serverUs)} µs per delivery; ${scraped}`,
    );
  }
}

/**
 * The project (inspector fed) and the durable minimum once more under the same load, with
 * `--cpu-prof`: where each one's CPU goes. The project runs from source: frames keep their src/ files.
 */
async function profile(base: Base, work: string): Promise<void> {
  const profiled = (dir: string) => ['--cpu-prof', '--cpu-prof-dir', dir];
  const targets: [string, string, (dir: string) => Promise<Start>][] = [
    ['project, inspector on', 'project', async (dir) => projectTsxStart(profiled(dir), INSPECTOR_ON)],
    ['durable minimum', 'minimum', (dir) => minimumStart(profiled(dir))],
  ];
  for (const [label, name, start] of targets) {
    const dir = join(work, `profile-${name}`);
    const row = await measureTarget({ ...base, label: `${label}, profiled`, start: await start(dir) });
    printRows([row], 'under --cpu-prof (slower)');
    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      console.log('  no .cpuprofile written');
      continue;
    }
    const kept = join(process.cwd(), `node_modules/.cache/bench/${name}.cpuprofile`);
    await rm(kept, { force: true });
    await copyFile(join(dir, file), kept);
    console.log(`  profile: ${kept} (${(statSync(kept).size / 2 ** 20).toFixed(1)} MiB)`);
    summarizeProfile(JSON.parse(readFileSync(kept, 'utf8')), 15, row.window);
  }
}

/** The project once more with module tracing: its memory at idle and after the load, and what is loaded. */
async function memory(base: Base, label: string, start: Start): Promise<void> {
  const row = await measureTarget({ ...base, label: `${label}, traced`, start, memory: true });
  console.log(`  ${label}: memory (MiB; process.memoryUsage and /proc/<pid>/smaps_rollup):`);
  for (const [when, report] of Object.entries(row.memory ?? {})) console.log(`    ${when}: ${report}`);
}
