/**
 * Slack's rate limits as a schedule: a burst of replies against a fake Slack that enforces the
 * per-channel limit is paced (no 429s), in the order recorded per channel, without delaying another
 * workspace's replies; a 429 slows its lane only; two processes on one PostgreSQL share the budget.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../src/config/settings.js';
import { api } from '../../src/core/action.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes, Logger } from '../../src/core/context.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { laneOf, parseBudgets } from '../../src/core/rate-limits.js';
import { Router } from '../../src/core/router.js';
import type { DatabaseHandle, StoreHandle } from '../../src/db/database.js';
import { LaneClock } from '../../src/db/lanes.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { quiet } from '../helpers/http-stack.js';

interface Replies extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const router = new Router<Replies>(quiet).on(
  'event',
  'app_mention',
  (event) => [api('chat.postMessage', { channel: event.payload.channel, text: event.payload.text })],
  { calls: ['chat.postMessage'] },
);
const app = defineApp<Replies, StoreHandle>({
  router,
  settings: () => ({}),
  lookups: () => ({}),
  writes: { schema: z.object({ type: z.literal('store'), op: z.literal('never') }), apply: async () => {} },
});

/** 5 messages a second per channel, 3 at once: the published shape, faster, so the test is short. */
const BUDGETS = 'post=5/s:3';
const fake = new FakeSlack({ rateLimits: parseBudgets(BUDGETS) });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

let n = 0;
/** A mention in `channel` of `team`, numbered in its text. */
function mention(team: string, channel: string, text: string): NormalizedEvent {
  const event = fixtureEvent('event_app_mention');
  if (event.kind !== 'event' || event.name !== 'app_mention') throw new Error('fixture');
  const ts = `1764500000.${String(++n).padStart(6, '0')}`;
  return {
    ...event,
    deliveryId: `lane-${n}-${Math.random().toString(36).slice(2)}`,
    teamId: team,
    channelId: channel,
    payload: { ...event.payload, channel, ts, event_ts: ts, text },
  };
}

const warnings: string[] = [];
const logger: Logger = { ...quiet, warn: (message: string) => void warnings.push(message) };

function pipelineOn(database: DatabaseHandle): Pipeline {
  return createPipeline({
    app,
    settings: {},
    config: loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-lanes',
      SLACK_API_URL: fake.apiUrl,
      SLACK_RATE_LIMITS: BUDGETS,
    }),
    database,
    logger,
    owner: `lanes-${process.pid}-${Math.random().toString(36).slice(2)}`,
  });
}

/** Takes every event in `pipeline`, at once, and runs their effects; answers when each reply reached Slack. */
async function burst(pipeline: Pipeline, events: NormalizedEvent[]): Promise<Map<string, number>> {
  const started = Date.now();
  await Promise.all(
    events.map(async (event) => {
      const taken = await pipeline.take(event);
      if (taken.status !== 'ack') throw new Error(taken.status);
      await taken.after();
    }),
  );
  const at = new Map<string, number>();
  for (const call of fake.callsOf('chat.postMessage')) at.set(String(call.args.text), call.at - started);
  return at;
}

describe.each(testDatabases())('lanes on %s', (_name, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.raw('truncate deliveries, outbox, lanes restart identity cascade', []);
    warnings.length = 0;
  });
  afterEach(() => fake.reset());

  it('paces a burst per channel: no 429, in order, and another workspace is not held up', async () => {
    const busy = [
      ...Array.from({ length: 12 }, (_, i) => mention('T0BUSY001', 'C0BUSY001', `busy-a-${i}`)),
      ...Array.from({ length: 12 }, (_, i) => mention('T0BUSY001', 'C0BUSY002', `busy-b-${i}`)),
    ];
    const quietOnes = Array.from({ length: 3 }, (_, i) => mention('T0QUIET01', 'C0QUIET01', `quiet-${i}`));
    const pipeline = pipelineOn(database);
    await burst(pipeline, [mention('T0WARM001', 'C0WARM001', 'warm')]); // a server's connections are open
    fake.reset();
    const at = await burst(pipeline, [...busy, ...quietOnes]);
    // Unpaced, most of the 24 would be answered 429 (3 at once, then 5 a second per channel); paced,
    // at most a call that reached Slack late, together with the next one.
    expect(fake.rateLimited.length).toBeLessThanOrEqual(2);
    expect(at.size).toBe(27);
    // Each channel's replies in the order they were recorded (but for one Slack sent back to wait).
    const retried = new Set(fake.rateLimited.map((c) => String(c.args.text)));
    for (const prefix of ['busy-a', 'busy-b', 'quiet']) {
      const texts = fake
        .callsOf('chat.postMessage')
        .map((c) => String(c.args.text))
        .filter((t) => t.startsWith(`${prefix}-`) && !retried.has(t));
      expect(texts).toEqual(
        [...texts].sort((a, b) => Number(a.split('-').at(-1)) - Number(b.split('-').at(-1))),
      );
    }
    // 12 in a channel at 5/s with 3 at once: about 2 s; the quiet channel's 3 go at once.
    const textOf = (e: NormalizedEvent) => ('text' in e.payload ? String(e.payload.text) : '');
    const busyLast = Math.max(...busy.map((e) => at.get(textOf(e)) ?? 0));
    const quietLast = Math.max(...quietOnes.map((e) => at.get(textOf(e)) ?? 0));
    expect(busyLast).toBeGreaterThanOrEqual(1_500);
    expect(quietLast).toBeLessThan(busyLast / 2);
  });

  it('a 429 slows its own lane only, and says so in the log', async () => {
    fake.on('chat.postMessage', (call, nth) =>
      call.args.channel === 'C0SLOW001' && nth === 1
        ? { status: 429, headers: { 'retry-after': '1' } }
        : undefined,
    );
    const pipeline = pipelineOn(database);
    const started = Date.now();
    const slow = mention('T0BUSY001', 'C0SLOW001', 'slow-0');
    const taken = await pipeline.take(slow);
    if (taken.status !== 'ack') throw new Error(taken.status);
    const running = taken.after();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const others = await burst(pipeline, [mention('T0BUSY001', 'C0FAST001', 'fast-0')]);
    await running;
    expect(others.get('fast-0')).toBeLessThan(500);
    const slowAt = fake.callsOf('chat.postMessage').find((c) => c.args.text === 'slow-0')?.at ?? 0;
    expect(slowAt - started).toBeGreaterThanOrEqual(900);
    expect(warnings).toContain('Slack throttled a lane: its calls wait');
  });

  it('lists the lanes that wait, and until when', async () => {
    const clock = new LaneClock(
      database.driver === 'postgres' ? { kind: 'database', raw: database.raw } : { kind: 'memory' },
    );
    const lane = laneOf('chat.postMessage', { channel: 'C0WAIT001' }, { teamId: 'T1', enterpriseId: null });
    expect(await clock.reserve(lane)).toBe(0);
    await clock.push(lane, 5_000);
    const [waiting] = await clock.waiting();
    expect(waiting?.key).toBe('T1:post:C0WAIT001');
    expect(waiting?.until).toBeGreaterThan(Date.now() + 4_000);
    expect(await clock.reserve(lane)).toBeGreaterThan(4_000);
  });
});

const postgres = testDatabases().find(([name]) => name === 'postgres');
if (!postgres) console.info('TEST_DATABASE_URL is not set: the two-process lanes test is skipped');
describe.skipIf(!postgres)('lanes across processes', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    if (postgres) database = await postgres[1]();
  }, 120_000);
  afterAll(() => database?.close());
  afterEach(() => fake.reset());

  it('two processes on one PostgreSQL share a lane’s budget', async () => {
    if (!database.another) throw new Error('PostgreSQL only');
    const other = await database.another();
    const [a, b] = [pipelineOn(database), pipelineOn(other)];
    const events = Array.from({ length: 14 }, (_, i) => mention('T0BUSY001', 'C0SHARE01', `share-${i}`));
    const [first, second] = await Promise.all([burst(a, events.slice(0, 7)), burst(b, events.slice(7))]);
    expect(fake.rateLimited.length).toBeLessThanOrEqual(2);
    expect(first.size + second.size).toBeGreaterThanOrEqual(14);
    // 14 through one lane at 5/s, 3 at once: at least 2.2 s whichever process sends them.
    expect(Math.max(...first.values(), ...second.values())).toBeGreaterThanOrEqual(2_000);
  });
});

describe('a store that does not answer', () => {
  it('lets calls go unpaced after a second, and says so once', async () => {
    const said: string[] = [];
    const hung = new LaneClock(
      { kind: 'database', raw: () => new Promise<unknown[]>(() => {}) },
      { ...quiet, warn: (message: string) => void said.push(message) },
    );
    const lane = laneOf('chat.postMessage', { channel: 'C1' }, { teamId: 'T1', enterpriseId: null });
    const started = Date.now();
    expect(await Promise.all([hung.reserve(lane), hung.reserve(lane)])).toEqual([0, 0]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(said).toEqual(['the lanes could not be read; calls are not paced until they can']);
  });
});

describe('laneOf', () => {
  it('puts a message in its channel’s lane and other calls in their tier’s, per workspace', () => {
    const ws = { teamId: 'T1', enterpriseId: null };
    expect(laneOf('chat.postMessage', { channel: 'C1' }, ws).key).toBe('T1:post:C1');
    expect(laneOf('chat.update', { channel: 'C1' }, ws)).toEqual({
      key: 'T1:tier3:chat.update',
      budget: { perMinute: 50, burst: 5 },
    });
    expect(laneOf('views.open', {}, ws, parseBudgets('tier4=200/min')).budget).toEqual({
      perMinute: 200,
      burst: 20,
    });
    expect(() => parseBudgets('tier3=fast')).toThrow(/SLACK_RATE_LIMITS: cannot read "tier3=fast"/);
  });
});
