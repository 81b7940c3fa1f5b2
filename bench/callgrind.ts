/**
 * Instructions per delivery, repeatable on a loaded machine: each server runs under
 * `valgrind --tool=callgrind`, takes a warm-up, has its counters zeroed, then takes `N` signed
 * app_mention deliveries (`C` at once) until each is handled (chat.postMessage at the fake), and
 * dumps. `npx tsx bench/callgrind.ts [minimum] [production] [inspector]` (default: all three);
 * BENCH_CALLGRIND_N (default 1000), BENCH_CALLGRIND_WARM (2000), BENCH_CALLGRIND_C (1: no group commit, so the same statements every run); BENCH_CALLGRIND_KEEP=<folder> keeps each dump
 * there (`callgrind_annotate <folder>/production.callgrind`); BENCH_COMPARE=<folder> adds another
 * build of the project (`compared`, `compared-insp`), as in bench/http.ts. Needs valgrind; run `npm run build` first.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { FakeApi } from './fake-api.js';
import { freshDatabase } from './http-measure.js';
import { mentionCallback } from './stats.js';
import { INSPECTOR_ON, minimumStart, projectStart, type Start, startTarget } from './targets.js';

const N = Number(process.env.BENCH_CALLGRIND_N ?? 1000);
const WARM = Number(process.env.BENCH_CALLGRIND_WARM ?? 2000);
const C = Number(process.env.BENCH_CALLGRIND_C ?? 1);
const SECRET = 'bench-signing-secret';

const agent = new http.Agent({ keepAlive: true, maxSockets: C });

function send(port: number, i: number, run: string): Promise<number> {
  const body = JSON.stringify(mentionCallback(i, run));
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/slack/events',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let refused = 0;

async function load(port: number, count: number, run: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      // A 503 (not recorded in time: Valgrind is slow at first) is sent again, as Slack would.
      for (let status = 0; status !== 200; ) {
        status = await send(port, i, run);
        if (status === 503) refused++;
        else if (status !== 200) throw new Error(`answered ${status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
}

/** Instructions under `main`: the event loop's thread, without V8's compiler and GC helper threads. */
const mainThreadOf = (file: string) => {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const line = text.split('\n').find((l) => /\?\?\?:main \[/.test(l));
  return Number(line?.trim().split(/\s+/)[0]?.replace(/,/g, '') ?? 0);
};

const totalOf = (file: string) => {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('summary:') || l.startsWith('totals:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
};

async function measure(label: string, start: Start, base: { admin: postgres.Sql; adminUrl: string }) {
  const fake = await new FakeApi().start();
  const dir = mkdtempSync(join(tmpdir(), 'callgrind-'));
  const name = `bench_callgrind_${label}_${process.pid}`;
  const databaseUrl = await freshDatabase(base, name);
  const valgrind: Start = {
    command: 'valgrind',
    args: [
      '--tool=callgrind',
      '--dump-instr=no',
      `--callgrind-out-file=${join(dir, 'cg.%p')}`,
      start.command,
      ...start.args,
    ],
    env: start.env,
    readyMs: 300_000,
  };
  const port = 3900 + Math.floor(Math.random() * 40);
  const server = await startTarget(valgrind, port, {
    DATABASE_URL: databaseUrl,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_RATE_LIMITS: 'off', // the path, not Slack's limits
    BENCH_MIGRATED: '1',
    // Valgrind runs the server tens of times slower: no delivery may be refused for taking long.
    RECORD_DEADLINE_MS: '2900',
  });
  try {
    const run = String(Date.now() % 1e8).padStart(8, '0');
    // Long enough for V8 to have optimized the hot path: what Turbofan compiles after it is counted.
    await load(port, WARM, `${run}1`);
    await fake.waitFor(WARM, 300_000);
    await new Promise((r) => setTimeout(r, 1000));
    execFileSync('callgrind_control', ['-z', String(server.pid)]);
    fake.reset();
    refused = 0;
    await load(port, N, `${run}2`);
    await fake.waitFor(N, 300_000);
    await new Promise((r) => setTimeout(r, 500));
    execFileSync('callgrind_control', ['-d', String(server.pid)]);
    await new Promise((r) => setTimeout(r, 1000));
    const dumps = readdirSync(dir)
      .filter((f) => /\.\d+$/.test(f))
      .sort();
    const last = dumps.at(-1);
    const total = last ? totalOf(join(dir, last)) : 0;
    const main = last ? mainThreadOf(join(dir, last)) : 0;
    if (last && process.env.BENCH_CALLGRIND_KEEP)
      copyFileSync(join(dir, last), join(process.env.BENCH_CALLGRIND_KEEP, `${label}.callgrind`));
    console.log(
      `  ${label.padEnd(12)} ${(total / fake.posted / 1000).toFixed(0).padStart(6)} k instructions per delivery, ` +
        `${(main / fake.posted / 1000).toFixed(0).padStart(6)} k on the main thread ` +
        `(${fake.posted} handled, ${refused} answers 503 sent again)`,
    );
  } finally {
    await server.stop();
    await fake.stop();
    await base.admin.unsafe(`drop database if exists "${name}" with (force)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const wanted = process.argv.slice(2);
const targets: [string, () => Promise<Start>][] = [
  ['minimum', () => minimumStart()],
  ['production', async () => projectStart()],
  ['inspector', async () => projectStart([], INSPECTOR_ON)],
];
// BENCH_COMPARE=<folder>: another build of the project (its dist/), measured beside this one.
const compare = process.env.BENCH_COMPARE;
if (compare) {
  targets.push(['compared', async () => projectStart([], undefined, compare)]);
  targets.push(['compared-insp', async () => projectStart([], INSPECTOR_ON, compare)]);
}
console.log(`callgrind: ${N} deliveries, ${C} at once, after a warm-up`);
for (const [label, start] of targets) {
  if (wanted.length === 0 || wanted.includes(label)) await measure(label, await start(), { admin, adminUrl });
}
await admin.end();
agent.destroy();
