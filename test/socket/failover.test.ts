import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  const event = { ...(f.payload.event as Record<string, unknown>), ts: `1764500000.${String(i).padStart(6, '0')}` };
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
    await until(() => fake.openSockets().length === 9, 30_000, `9 connections (${fake.openSockets().length})`);
    let killedAt = 0;
    for (let i = 0; i < EVENTS; i++) {
      fake.sendEnvelope(mention(i));
      if (i === EVENTS / 2) {
        first?.child.kill('SIGKILL');
        killedAt = Date.now();
      }
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => fake.unacked().length === 0, 60_000, `all acked (${fake.unacked().length} left)`);
    // The survivors take the dead process's slots: 3 + 3 → 4 + 4.
    await until(() => fake.openSockets().length === 8, 30_000, `8 connections (${fake.openSockets().length})`);
    await start(); // and it comes back
    await until(() => fake.openSockets().length === 9, 30_000, `9 again (${fake.openSockets().length})`);
    await fake.waitFor((calls) => new Set(calls.map((c) => c.args.thread_ts)).size >= EVENTS, 60_000);

    const posts = fake.callsOf('chat.postMessage');
    const firstAt = new Map<unknown, number>();
    for (const post of posts) if (!firstAt.has(post.args.thread_ts)) firstAt.set(post.args.thread_ts, post.at);
    const twice = posts.length - firstAt.size;
    const twiceAfterKill = [...firstAt].filter(
      ([ts, at]) => at > killedAt && posts.filter((p) => p.args.thread_ts === ts).length > 1,
    );
    console.info(
      `failover: ${EVENTS} events, ${twice} calls repeated (in flight at the kill); first calls of those after the kill: ${twiceAfterKill.map(([, at]) => at - killedAt).join(', ')} ms`,
    );
    expect(firstAt.size).toBe(EVENTS);
    expect(twiceAfterKill).toEqual([]);
    expect(fake.refused).toBe(0);
    expect(fake.peakConnections).toBeLessThanOrEqual(10);
    expect(second?.output()).toMatch(/socket: 4 connections here \(slots [\d, ]+\), 8 in all across 2 processes/);
  });
});
