/**
 * The HTTP mount under load: signed app_mention deliveries with distinct event ids, concurrency 50,
 * 10 s, against the Node server (a child process) with a fake Slack Web API answering chat.postMessage.
 * A bare node:http server that only checks the signature is measured the same way, in the same run.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import postgres from 'postgres';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { cpuSecondsOf, latency, mentionCallback, ownCpuSeconds, postgresCpuSeconds } from './stats.js';

const SECRET = 'bench-signing-secret';
const CONCURRENCY = 50;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
/** Unmeasured load first, so the JIT has compiled the hot path as it would have in a running server. */
const WARMUP_MS = 2_000;
let port = 3950;

const mentionBody = (i: number, run: string) => JSON.stringify(mentionCallback(i, run));

function startServer(args: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = fork('bench/server.ts', args, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, SLACK_SIGNING_SECRET: SECRET, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function load(target: number, run: string, durationMs = DURATION_MS) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  const end = performance.now() + durationMs;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = mentionBody(i, run);
      const ts = Math.floor(Date.now() / 1000);
      const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
      const started = performance.now();
      const req = http.request(
        {
          host: '127.0.0.1',
          port: target,
          path: '/slack/events',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'x-slack-request-timestamp': ts,
            'x-slack-signature': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - started);
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) await one(sent++);
    }),
  );
  agent.destroy();
  return { acked: latencies.length, failed, latencies, seconds: (performance.now() - started) / 1000 };
}

interface Measured {
  label: string;
  acksPerSecond: number;
  handledPerSecond: number | null;
  lat: string;
  rss: number;
  /** CPU µs per delivery: the server, PostgreSQL, and this process (load generator + fake Slack). */
  cpu: { server: number; postgres: number; bench: number };
}

/** CPU used by each party between `start()` and `stop(deliveries)`, per delivery. */
function cpuMeter(pid: number | undefined) {
  const read = () => ({ server: cpuSecondsOf(pid), postgres: postgresCpuSeconds(), bench: ownCpuSeconds() });
  const before = read();
  return (deliveries: number) => {
    const after = read();
    const per = (k: keyof typeof before) => ((after[k] - before[k]) / Math.max(1, deliveries)) * 1e6;
    return { server: per('server'), postgres: per('postgres'), bench: per('bench') };
  };
}

async function measureRouter(
  label: string,
  fake: FakeSlack,
  databaseUrl: string,
  fetchMode: string,
): Promise<Measured> {
  fake.reset();
  const p = port++;
  const server = await startServer(['router', String(p), fetchMode], {
    DATABASE_URL: databaseUrl,
    SLACK_API_URL: fake.apiUrl,
    SLACK_BOT_TOKEN: 'xoxb-bench',
  });
  const warm = await load(p, `warm${p}`, WARMUP_MS);
  await fake.waitFor((calls) => calls.length >= warm.acked, 120_000);
  fake.reset();
  const meter = cpuMeter(server.pid);
  const started = performance.now();
  const result = await load(p, `${p}`);
  // Events fully handled: every acked mention's chat.postMessage has reached the fake.
  await fake.waitFor((calls) => calls.length >= result.acked, 120_000);
  const handledSeconds = (performance.now() - started) / 1000;
  const cpu = meter(result.acked);
  const rss = peakRssMiB(server.pid);
  server.send('stop');
  await new Promise((resolve) => server.once('exit', resolve));
  return {
    label,
    acksPerSecond: result.acked / result.seconds,
    handledPerSecond: fake.calls.length / handledSeconds,
    lat: `${latency(result.latencies)}${result.failed ? `  (${result.failed} not 200)` : ''}`,
    rss,
    cpu,
  };
}

async function measureBare(): Promise<Measured> {
  const p = port++;
  const server = await startServer(['bare', String(p)], {});
  await load(p, 'warm-bare', WARMUP_MS);
  const meter = cpuMeter(server.pid);
  const result = await load(p, 'bare');
  const cpu = meter(result.acked);
  const rss = peakRssMiB(server.pid);
  server.kill();
  return {
    label: 'bare node:http (signature only)',
    acksPerSecond: result.acked / result.seconds,
    handledPerSecond: null,
    lat: latency(result.latencies),
    rss,
    cpu,
  };
}

function workerBundle(): string {
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', 'dist'], {
    stdio: 'ignore',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  const files = readdirSync('dist').filter((f) => f.endsWith('.js'));
  const raw = files.reduce((n, f) => n + statSync(`dist/${f}`).size, 0);
  const gzip = files.reduce((n, f) => n + gzipSync(readFileSync(`dist/${f}`)).length, 0);
  return `${(raw / 1024).toFixed(0)} KiB raw, ${(gzip / 1024).toFixed(0)} KiB gzip`;
}

/** Runs the HTTP case. */
export async function benchHttp(): Promise<void> {
  console.log(
    `http: signed app_mention deliveries, concurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s each`,
  );
  const fake = await new FakeSlack().start();
  const rows: Measured[] = [await measureBare()];
  rows.push(await measureRouter('router, PGlite (disk), keep-alive', fake, '', 'keep-alive'));
  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  const name = `router_bench_http_${process.pid}`;
  try {
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    rows.push(await measureRouter('router, Postgres, keep-alive fetch', fake, url.toString(), 'keep-alive'));
    await admin.unsafe(`drop database "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
    rows.push(await measureRouter('router, Postgres, global fetch', fake, url.toString(), 'global-fetch'));
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } catch (error) {
    console.log(`  postgres: skipped (${error instanceof Error ? error.message : error})`);
  } finally {
    await admin.end();
  }
  await fake.stop();
  const bare = rows[0]?.acksPerSecond ?? 1;
  for (const row of rows) {
    const handled =
      row.handledPerSecond === null
        ? ''
        : `  handled ${row.handledPerSecond.toFixed(0)}/s (${((row.handledPerSecond / bare) * 100).toFixed(0)}% of bare)`;
    console.log(
      `  ${row.label.padEnd(36)} acks ${row.acksPerSecond.toFixed(0).padStart(5)}/s (${((row.acksPerSecond / bare) * 100).toFixed(0)}% of bare)  ${row.lat}${handled}  peak RSS ${row.rss} MiB`,
    );
  }
  // Where the machine's CPU goes: everything below shares its cores, so the sum sets a ceiling.
  const cores = os.cpus().length;
  console.log(`  CPU per delivery (µs), and the ceiling it sets on ${cores} cores:`);
  for (const row of rows) {
    const { server, postgres, bench } = row.cpu;
    const total = server + postgres + bench;
    console.log(
      `  ${row.label.padEnd(36)} server ${server.toFixed(0).padStart(4)}  postgres ${postgres.toFixed(0).padStart(4)}  load+fake ${bench.toFixed(0).padStart(4)}  = ${total.toFixed(0).padStart(4)} → at most ${((cores * 1e6) / total).toFixed(0)}/s; server on one core: at most ${(1e6 / server).toFixed(0)}/s`,
    );
  }
  console.log(`  worker bundle: ${workerBundle()}`);
}
