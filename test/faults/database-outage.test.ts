import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open.js';
import { countEffects } from '../../src/db/outbox.js';
import { type RunningServer, startHttpServer } from '../../src/runtime/node-http.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET } from '../../src/testing/signing.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { type Answer, freePort, mentionRequest, mentionTs, sendMentions } from '../helpers/mentions.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl)
  console.info('TEST_DATABASE_URL is not set: the database outage tests need PostgreSQL and are skipped');

const t0 = performance.now();
const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
  console.log(Math.round(performance.now() - t0), level, message, JSON.stringify(fields ?? {}).slice(0, 300));
const loud = { debug() {}, info: line('info'), warn: line('warn'), error: line('error') };

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** A fresh database behind a proxy, and the Node HTTP server on it. */
async function serverBehindProxy() {
  if (!adminUrl) throw new Error('unreachable');
  const name = `router_outage_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const direct = new URL(adminUrl);
  direct.pathname = `/${name}`;
  const migrated = await openDatabase(direct.toString(), { migrate: true });
  const proxy = await new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) }).start();
  const viaProxy = proxy.url(direct.toString());
  const port = await freePort();
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    SLACK_RATE_LIMITS: 'off', // bursts into one channel: about the database, not Slack's limits
    DATABASE_URL: viaProxy,
    PORT: String(port),
  });
  const database: DatabaseHandle = await openDatabase(viaProxy, {
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  const app = linkApp(quiet);
  const server: RunningServer = await startHttpServer({
    app,
    settings: app.settings({ APP_URL: 'https://app.example.com' }),
    config,
    database,
    logger: process.env.OUTAGE_LOG ? loud : quiet,
  });
  return {
    proxy,
    url: `http://127.0.0.1:${port}/slack/events`,
    /** The database as the test sees it: straight to PostgreSQL, never through the proxy. */
    direct: migrated,
    async close() {
      proxy.restore();
      await server.close();
      await proxy.stop();
      await migrated.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Re-sends each refused delivery as Slack does (x-slack-retry-num), until all are acked or `tries` run out. */
async function retryUntilAcked(url: string, refused: number[], tries = 3): Promise<Answer[]> {
  const answers: Answer[] = [];
  let left = refused;
  for (let retry = 1; retry <= tries && left.length > 0; retry++) {
    const now: Answer[] = await Promise.all(
      left.map(async (n) => {
        const { body, headers } = await mentionRequest(n);
        const started = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { ...headers, 'x-slack-retry-num': String(retry), 'x-slack-retry-reason': 'http_error' },
        });
        await res.arrayBuffer();
        const at = performance.now();
        return { n, status: res.status, ms: at - started, at };
      }),
    );
    answers.push(...now);
    left = now.filter((a) => a.status !== 200).map((a) => a.n);
  }
  return answers;
}

/** Replies the fake answered, per mention thread. */
function repliesByThread(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of fake.callsOf('chat.postMessage')) {
    const ts = String(call.args.thread_ts);
    counts.set(ts, (counts.get(ts) ?? 0) + 1);
  }
  return counts;
}

/** Waits until every mention below `total` has its reply, then says which came twice. */
async function expectEachReplyOnce(total: number, direct: DatabaseHandle) {
  const all = Array.from({ length: total }, (_, n) => mentionTs(n));
  await fake.waitFor(() => {
    const replies = repliesByThread();
    return all.every((ts) => (replies.get(ts) ?? 0) > 0);
  }, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 500)); // a second run would have shown by now
  const replies = repliesByThread();
  expect(all.filter((ts) => (replies.get(ts) ?? 0) === 0)).toEqual([]); // 0 lost
  expect(all.filter((ts) => (replies.get(ts) ?? 0) > 1)).toEqual([]); // 0 run twice
  const recorded = (await direct.raw('select count(*)::int as n from deliveries', [])) as { n: number }[];
  expect(recorded[0]?.n).toBe(total);
  // Every outcome reaches the table once the store is back (kept in memory meanwhile).
  for (let i = 0; i < 40; i++) {
    const counts = await countEffects(direct.db);
    if (counts.done === total) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(await countEffects(direct.db)).toEqual({ done: total });
}

describe.skipIf(!adminUrl)(
  'a database that drops, hangs or comes back (PostgreSQL through a TCP proxy)',
  () => {
    let stack: Awaited<ReturnType<typeof serverBehindProxy>>;
    beforeEach(async () => {
      fake.reset();
      fake.on('chat.postMessage', () => ({ delayMs: 20 }));
      stack = await serverBehindProxy();
    });
    afterEach(() => stack.close());

    it('cut mid-burst: refused deliveries get 503, acks resume within 2 s of restore, 0 lost, 0 run twice', async () => {
      const TOTAL = 600;
      let cutAt = 0;
      const watcher = setInterval(() => {
        if (cutAt === 0 && fake.callsOf('chat.postMessage').length >= 100) {
          stack.proxy.cut();
          if (process.env.OUTAGE_LOG) console.log(Math.round(performance.now() - t0), 'CUT');
          cutAt = performance.now();
        }
      }, 5);
      const first = await sendMentions(stack.url, { from: 0, to: 300 }, 20);
      clearInterval(watcher);
      const refused = first.filter((a) => a.status !== 200);
      expect(cutAt).toBeGreaterThan(0);
      expect(new Set(refused.map((a) => a.status))).toEqual(new Set([503]));
      expect(refused.length).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // down for a while
      stack.proxy.restore();
      const restoredAt = performance.now();
      if (process.env.OUTAGE_LOG) console.log(Math.round(performance.now() - t0), 'RESTORE');
      // Slack retries what was refused; new deliveries keep coming.
      const [retried, second] = await Promise.all([
        retryUntilAcked(
          stack.url,
          refused.map((a) => a.n),
        ),
        sendMentions(stack.url, { from: 300, to: TOTAL }, 20),
      ]);
      const firstAckAfterRestore = Math.min(
        ...[...retried, ...second].filter((a) => a.status === 200).map((a) => a.at - restoredAt),
      );
      const lastRefusal = Math.max(
        0,
        ...second.filter((a) => a.status !== 200).map((a) => a.at - restoredAt),
      );
      console.info(
        `cut: ${first.length - refused.length} acked before the cut, ${refused.length} got 503; after restore ${second.filter((a) => a.status === 200).length}/${second.length} new ones acked, ${retried.filter((a) => a.status === 200).length}/${refused.length} retries acked; first ack ${Math.round(firstAckAfterRestore)} ms after restore, last 503 at ${Math.round(lastRefusal)} ms`,
      );
      expect(firstAckAfterRestore).toBeLessThanOrEqual(2_000);
      expect(lastRefusal).toBeLessThanOrEqual(2_000);
      await retryUntilAcked(
        stack.url,
        second.filter((a) => a.status !== 200).map((a) => a.n),
      );
      await expectEachReplyOnce(TOTAL, stack.direct);
    }, 90_000);

    it('blackhole: no ack waits past 3 s, 503 once the deadline passes, 0 lost, 0 run twice, outcomes written after restore', async () => {
      const TOTAL = 500;
      let holeAt = 0;
      const watcher = setInterval(() => {
        if (holeAt === 0 && fake.callsOf('chat.postMessage').length >= 100) {
          stack.proxy.blackhole();
          holeAt = performance.now();
          setTimeout(() => stack.proxy.restore(), 4_000);
        }
      }, 5);
      const burst = await sendMentions(stack.url, { from: 0, to: TOTAL }, 50);
      clearInterval(watcher);
      expect(holeAt).toBeGreaterThan(0);
      const slowest = Math.max(...burst.map((a) => a.ms));
      const refused = burst.filter((a) => a.status !== 200);
      expect(new Set(refused.map((a) => a.status))).toEqual(new Set([503]));
      expect(refused.length).toBeGreaterThan(0);
      expect(slowest).toBeLessThan(3_000);

      console.info(
        `blackhole: ${burst.length - refused.length} acked, ${refused.length} got 503, slowest answer ${Math.round(slowest)} ms`,
      );
      const retried = await retryUntilAcked(
        stack.url,
        refused.map((a) => a.n),
      );
      expect(retried.filter((a) => a.status !== 200)).toEqual([]);
      await expectEachReplyOnce(TOTAL, stack.direct);
    }, 120_000);
  },
);
