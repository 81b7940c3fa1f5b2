/**
 * `npm run build:lambda`: dist/lambda/index.mjs is one file that a fresh Node process imports with no
 * node_modules anywhere, and that acks a signed API Gateway v2 delivery against PostgreSQL.
 */
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaEvent } from 'hono/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { emptyPostgres, run, runTsx, SLOW_MS, STACK_FRAME, tempDir } from './support.js';

let bundle = '';
let buildOutput = '';

beforeAll(async () => {
  const out = tempDir('lambda-build');
  const { code, out: printed } = await runTsx('dev/build.ts', ['lambda', '--outdir', out]);
  expect(code, printed).toBe(0);
  buildOutput = printed;
  // The file alone in an empty folder: nothing to resolve a package from.
  const alone = tempDir('lambda-alone');
  bundle = join(alone, 'index.mjs');
  copyFileSync(join(out, 'index.mjs'), bundle);
}, SLOW_MS);

/** A script for a fresh `node`: imports the bundle, invokes `handler` with each event, prints one RESULT line. */
const INVOKE = `
import { readFileSync } from 'node:fs';
const started = performance.now();
const result = { exports: [], results: [], loadMs: 0, firstAckMs: 0, error: null };
try {
  const lambda = await import('./index.mjs');
  result.loadMs = Math.round(performance.now() - started);
  result.exports = Object.keys(lambda).sort();
  const events = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  for (const event of events) {
    const answer = await lambda.handler(event, {});
    if (result.results.length === 0) result.firstAckMs = Math.round(performance.now() - started);
    result.results.push({ statusCode: answer.statusCode, body: answer.body, isBase64Encoded: answer.isBase64Encoded });
  }
} catch (error) {
  result.error = { name: error.name, message: error.message };
}
console.log('RESULT ' + JSON.stringify(result));
process.exit(0);
`;

interface InvokeResult {
  exports: string[];
  results: { statusCode: number; body: string; isBase64Encoded: boolean }[];
  loadMs: number;
  firstAckMs: number;
  error: { name: string; message: string } | null;
}

async function invoke(events: LambdaEvent[], env: Record<string, string>): Promise<InvokeResult> {
  const dir = join(bundle, '..');
  writeFileSync(join(dir, 'invoke.mjs'), INVOKE);
  const eventsFile = join(dir, `events-${Date.now()}.json`);
  writeFileSync(eventsFile, JSON.stringify(events));
  const proc = run(process.execPath, ['invoke.mjs', eventsFile], env, dir);
  expect(await proc.exited, proc.output()).toBe(0);
  const line = proc.output().match(/^RESULT (.*)$/m)?.[1];
  expect(line, proc.output()).toBeDefined();
  return JSON.parse(line as string) as InvokeResult;
}

/** An API Gateway v2 (HTTP API / function URL) event carrying a signed Slack delivery. */
async function apiGatewayEvent(payload: Record<string, unknown>, base64: boolean): Promise<LambdaEvent> {
  const { body, contentType } = httpForm({ ...fixture('event_app_mention'), payload });
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers: await slackHeaders(body, contentType),
    isBase64Encoded: base64,
    body: base64 ? Buffer.from(body).toString('base64') : body,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'example',
      http: {
        method: 'POST',
        path: '/slack/events',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'Slackbot 1.0',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:12:00:00 +0000',
      timeEpoch: 1_764_072_000_000,
      authentication: null,
      authorizer: {},
    },
  };
}

/** The fixture's mention, as another message (new event id and ts) when `n` > 0. */
function mention(n: number): Record<string, unknown> {
  const payload = structuredClone(fixture('event_app_mention').payload) as {
    event_id: string;
    event: { ts: string; event_ts: string };
  };
  if (n > 0) {
    payload.event_id = `${payload.event_id}X${n}`;
    payload.event.ts = payload.event.event_ts = `17641000${10 + n}.000100`;
  }
  return payload;
}

describe('npm run build:lambda', () => {
  it('prints the bundle and its size, and leaves PGlite out', () => {
    const kib = (statSync(bundle).size / 1024).toFixed(1);
    expect(buildOutput).toMatch(
      new RegExp(`index\\.mjs  ${kib.replace('.', '\\.')} KiB  \\(handler, drain\\)`),
    );
    console.info(`lambda bundle: ${kib} KiB`);
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toContain('pglite.data');
    expect(text).not.toContain('@electric-sql/pglite');
  });

  it('loads in a fresh node with no node_modules, and refuses a DATABASE_URL that is not PostgreSQL in one line', async () => {
    for (const dir of ['/node_modules', '/tmp/node_modules', join(bundle, '../node_modules')]) {
      expect(existsSync(dir), `${dir} would let the bundle find packages`).toBe(false);
    }
    const result = await invoke([await apiGatewayEvent(mention(0), true)], {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      DATABASE_URL: 'memory://',
    });
    expect(result.exports).toEqual(['EFFECT_BUDGET_MS', 'drain', 'handler']);
    expect(result.error).toEqual({
      name: 'ConfigError',
      message:
        'DATABASE_URL must be a postgres:// URL on Lambda: the embedded database (PGlite) is not in this bundle',
    });
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  console.info(
    'TEST_DATABASE_URL is not set: the Lambda bundle is not invoked against PostgreSQL (it is still loaded)',
  );
}

describe.skipIf(!adminUrl)('the Lambda bundle against PostgreSQL', () => {
  const fake = new FakeSlack();
  let database: Awaited<ReturnType<typeof emptyPostgres>>;
  beforeAll(async () => {
    await fake.start();
    database = await emptyPostgres(adminUrl as string);
    const handle = await openDatabase(database.url, { migrate: true, max: 1 });
    await handle.close();
  }, SLOW_MS);
  afterAll(async () => {
    await fake.stop();
    await database?.drop();
  });

  it(
    'acks signed mentions (base64 body and plain), posts each reply once, and acks a redelivery without posting again',
    async () => {
      const result = await invoke(
        [
          await apiGatewayEvent(mention(0), true),
          await apiGatewayEvent(mention(1), false),
          await apiGatewayEvent(mention(0), true),
        ],
        {
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_BOT_TOKEN: BOT_TOKEN,
          SLACK_API_URL: fake.apiUrl,
          DATABASE_URL: database.url,
          LOG_LEVEL: 'warn',
        },
      );
      expect(result.error).toBeNull();
      expect(result.results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(
        fake.callsOf('chat.postMessage').map((c) => [c.token, c.args.channel, c.args.thread_ts]),
      ).toEqual([
        [BOT_TOKEN, 'C0CHAN001', '1764100000.000100'],
        [BOT_TOKEN, 'C0CHAN001', '1764100011.000100'],
      ]);
      console.info(
        `lambda cold start: import ${result.loadMs} ms, first delivery acked (effects run) at ${result.firstAckMs} ms`,
      );
    },
    SLOW_MS,
  );

  it('reports a missing database in one line, naming createdb', async () => {
    const url = new URL(database.url);
    url.pathname = '/router_deploy_missing';
    const result = await invoke([await apiGatewayEvent(mention(0), true)], {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      DATABASE_URL: url.toString(),
    });
    expect(result.error).toEqual({
      name: 'StoreUnavailableError',
      message: `database router_deploy_missing does not exist on PostgreSQL at ${url.hostname}:${url.port || '5432'}: create it with createdb router_deploy_missing, or fix DATABASE_URL`,
    });
    expect(result.error?.message).not.toMatch(STACK_FRAME);
  });
});
