/**
 * The Lambda bundle as it ships: `npm run build:lambda`, its size (raw and gzip), and its cold start:
 * a fresh `node` process, the bundle alone in a folder (no node_modules, like the Lambda's), imports it
 * and acks one signed API Gateway v2 delivery against PostgreSQL (a fresh database migrated by the
 * project), effects included (Lambda runs them before the response). Median of RUNS processes.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type postgres from 'postgres';
import type { FakeApi } from './fake-api.js';
import { freshDatabase } from './http-measure.js';
import { median, mentionCallback } from './stats.js';
import { npmRun } from './targets.js';

const RUNS = 5;
const SECRET = 'bench-signing-secret';
const BUNDLE = fileURLToPath(new URL('../dist/lambda/index.mjs', import.meta.url));

/** Run by each fresh node: the times since its start, the import, the first response. */
const INVOKE = `
const boot = performance.now();
const event = JSON.parse(process.argv[2]);
const started = performance.now();
const lambda = await import('./index.mjs');
const imported = performance.now();
const answer = await lambda.handler(event, {});
const acked = performance.now();
console.log('RESULT ' + JSON.stringify({
  status: answer.statusCode, bootMs: boot, importMs: imported - started, ackMs: acked - imported, totalMs: acked,
}));
process.exit(0);
`;

interface Invoked {
  status: number;
  bootMs: number;
  importMs: number;
  ackMs: number;
  totalMs: number;
}

/** An API Gateway v2 event carrying mention `i` of run `run`, signed now. */
function apiGatewayEvent(i: number, run: string) {
  const body = JSON.stringify(mentionCallback(i, run));
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signature,
    },
    isBase64Encoded: false,
    body,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'bench.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: '/slack/events',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'Slackbot 1.0',
      },
      requestId: `bench-${i}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

function invoke(dir: string, event: unknown, env: Record<string, string>): Promise<Invoked> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['invoke.mjs', JSON.stringify(event)], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = /^RESULT (.*)$/m.exec(output)?.[1];
      if (code === 0 && line) resolve(JSON.parse(line) as Invoked);
      else reject(new Error(`the Lambda bundle exited with ${code}: ${output.trim().split('\n')[0]}`));
    });
  });
}

const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;
const ms = (n: number) => `${Math.round(n)} ms`;

/** Builds the Lambda bundle, prints its size and its cold start (median of RUNS fresh processes). */
export async function benchLambda(base: {
  adminUrl: string;
  admin: postgres.Sql;
  fake: FakeApi;
  work: string;
}): Promise<void> {
  npmRun('build:lambda');
  const code = readFileSync(BUNDLE);
  console.log(
    `  lambda bundle (npm run build:lambda): ${kib(code.length)} raw, ${kib(gzipSync(code).length)} gzip` +
      ` (source map beside it: ${kib(statSync(`${BUNDLE}.map`, { throwIfNoEntry: false })?.size ?? 0)})`,
  );
  // The bundle alone in a folder: nothing to resolve a package from, as on Lambda.
  const dir = join(base.work, 'lambda');
  mkdirSync(dir, { recursive: true });
  copyFileSync(BUNDLE, join(dir, 'index.mjs'));
  writeFileSync(join(dir, 'invoke.mjs'), INVOKE);
  const name = `bench_lambda_${process.pid}`;
  const databaseUrl = await freshDatabase(base, name);
  const run = String(Date.now() % 1e8).padStart(8, '0');
  const env = {
    DATABASE_URL: databaseUrl,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: base.fake.apiUrl,
    SLACK_RATE_LIMITS: 'off', // the path, not Slack's limits
    LOG_LEVEL: 'error',
  };
  try {
    base.fake.reset();
    const runs: Invoked[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await invoke(dir, apiGatewayEvent(i, run), env));
    const of = (key: keyof Invoked) => median(runs.map((r) => r[key]));
    const acked = runs.filter((r) => r.status === 200).length;
    console.log(
      `  lambda cold start (fresh node, median of ${RUNS}): node boot ${ms(of('bootMs'))}, ` +
        `import ${ms(of('importMs'))}, then first ack ${ms(of('ackMs'))} (database connect, record, ` +
        `chat.postMessage before the response); ${ms(of('totalMs'))} from process start; ` +
        `${acked}/${RUNS} acked 200, ${base.fake.posted} posted`,
    );
  } finally {
    await base.admin.unsafe(`drop database if exists "${name}" with (force)`);
  }
}
