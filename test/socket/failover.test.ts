import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_CONCURRENCY } from '../../src/pipeline/executor/executor.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture, socketForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';
import { type Spawned, spawnScript } from '../helpers/spawn.js';
import { freshDatabase, until } from './replica-support.js';

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) console.info('skipped "Socket Mode failover": TEST_DATABASE_URL is not set');

const EVENTS = 400;

/** Mention `i`: its own envelope, event id and ts. */
function mention(i: number) {
  const f = fixture('event_app_mention');
  // A channel each: Slack's posting budget (about 1 a second per channel) would pace one channel's replies.
  const event = {
    ...(f.payload.event as Record<string, unknown>),
    channel: `C0FAIL${String(i).padStart(4, '0')}`,
    ts: `1764500000.${String(i).padStart(6, '0')}`,
  };
  return socketForm(
    { ...f, payload: { ...f.payload, event_id: `EvFAIL${i}`, event } },
    { envelopeId: `env-fail-${i}` },
  ) as Record<string, unknown> & { envelope_id: string };
}

// Real `npm run dev:socket` processes; several seconds each to start on a loaded machine.
describe.skipIf(!adminUrl)('Socket Mode failover between processes', { timeout: 180_000 }, () => {
  const fake = new FakeSlack({ redeliverAfterMs: 3_000 });
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const running: Spawned[] = [];

  async function start(): Promise<Spawned> {
    const env = {
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      // Many replies in one channel: this test is about failover, not Slack's limits (not paced).
      SLACK_RATE_LIMITS: 'off',
      DATABASE_URL: database.url,
      INSPECTOR_PORT: String(await freePort()),
    };
    const run = spawnScript('src/runtime/socket.ts', env);
    running.push(run);
    await run.waitFor('Socket Mode connected', 60_000);
    return run;
  }

  beforeAll(async () => {
    await fake.start();
    database = await freshDatabase(adminUrl ?? '');
  });
  afterAll(async () => {
    await Promise.allSettled(running.map((run) => run.stop()));
    await fake.stop();
    await database.drop();
  });

  it('after a kill -9 mid-burst: every envelope acked, nothing run twice but calls in flight at the kill, never over 10 connections', async () => {
    const [first, second] = await Promise.all([start(), start(), start()]);
    await until(
      () => fake.openSockets().length === 9,
      30_000,
      `9 connections (${fake.openSockets().length})`,
    );
    for (let i = 0; i < EVENTS; i++) {
      fake.sendEnvelope(mention(i));
      if (i === EVENTS / 2) first?.child.kill('SIGKILL');
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => fake.unacked().length === 0, 60_000, `all acked (${fake.unacked().length} left)`);
    // The survivors take the dead process's slots: 3 + 3 → 4 + 4.
    await until(
      () => fake.openSockets().length === 8,
      30_000,
      `8 connections (${fake.openSockets().length})`,
    );
    await start(); // and it comes back
    await until(() => fake.openSockets().length === 9, 30_000, `9 again (${fake.openSockets().length})`);
    const threads = () => new Set(fake.callsOf('chat.postMessage').map((c) => c.args.thread_ts)).size;
    await until(() => threads() >= EVENTS, 60_000, `every mention answered (${threads()})`);

    const posts = fake.callsOf('chat.postMessage');
    const firstAt = new Map<unknown, number>();
    for (const post of posts)
      if (!firstAt.has(post.args.thread_ts)) firstAt.set(post.args.thread_ts, post.at);
    const twice = posts.length - firstAt.size;
    // A repeated call is one the dead process had in flight: claimed by it (sent, not marked done),
    // then taken over by a survivor, so its effect was claimed twice.
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    const retaken = new Set(
      (
        await sql<{ key: string }[]>`
          select d.dedup_key as key from outbox o join deliveries d on d.id = o.delivery_id where o.attempts > 1`
      ).map((row) => row.key.slice(row.key.lastIndexOf(':') + 1)),
    );
    await sql.end();
    const repeated = [...firstAt.keys()].filter(
      (ts) => posts.filter((p) => p.args.thread_ts === ts).length > 1,
    );
    console.info(
      `failover: ${EVENTS} events, ${twice} calls repeated, of ${retaken.size} effects the killed process held`,
    );
    expect(firstAt.size).toBe(EVENTS);
    expect(repeated.filter((ts) => !retaken.has(String(ts)))).toEqual([]);
    expect(twice).toBeLessThanOrEqual(DRAIN_CONCURRENCY);
    expect(fake.refused).toBe(0);
    expect(fake.peakConnections).toBeLessThanOrEqual(10);
    expect(second?.output()).toMatch(
      /socket: 4 connections here \(slots [\d, ]+\), 8 in all across 2 processes/,
    );
  });
});
