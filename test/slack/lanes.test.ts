/**
 * Slack's rate limits as a schedule: a burst of replies against a fake Slack that enforces the
 * per-channel limit is paced (no 429s), in the order recorded per channel, without delaying another
 * workspace's replies; a 429 slows its lane only and a message it sends back keeps its place; a
 * channel's order holds across pipelines on one database and past a process that died; three
 * processes on one PostgreSQL share the budgets.
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
import { LaneOrder } from '../../src/db/lane-order.js';
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

/** Each channel's reply texts in the order they were recorded (outbox id). */
async function recorded(database: DatabaseHandle): Promise<Map<string, string[]>> {
  const rows = await database.raw(
    "select action->'args'->>'channel' as channel, action->'args'->>'text' as text from outbox order by id",
    [],
  );
  const order = new Map<string, string[]>();
  for (const row of z.array(z.object({ channel: z.string(), text: z.string() })).parse(rows))
    order.set(row.channel, [...(order.get(row.channel) ?? []), row.text]);
  return order;
}

/** Each channel's reply texts in the order Slack took them (429s left out: they were not posted). */
function arrived(): Map<string, string[]> {
  const order = new Map<string, string[]>();
  for (const call of fake.callsOf('chat.postMessage')) {
    const channel = String(call.args.channel);
    order.set(channel, [...(order.get(channel) ?? []), String(call.args.text)]);
  }
  return order;
}

/** Takes `events` at once, the i-th in `pipelines[i % n]`, and runs their effects. */
async function spread(pipelines: Pipeline[], events: NormalizedEvent[]): Promise<void> {
  await Promise.all(
    events.map(async (event, i) => {
      const taken = await (pipelines[i % pipelines.length] as Pipeline).take(event);
      if (taken.status !== 'ack') throw new Error(taken.status);
      await taken.after();
    }),
  );
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
    // Each channel's replies in the order they were recorded, a call Slack sent back included.
    const order = await recorded(database);
    order.delete('C0WARM001'); // sent before the fake was reset
    expect(order.get('C0BUSY001')).toHaveLength(12);
    expect(arrived()).toEqual(order);
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

  it('a message sent back by a 429 keeps its place in its channel', async () => {
    let refused = false;
    fake.on('chat.postMessage', (call) => {
      if (call.args.text !== 'keep-1' || refused) return undefined;
      refused = true;
      return { status: 429, headers: { 'retry-after': '1' } };
    });
    const pipeline = pipelineOn(database);
    await burst(
      pipeline,
      Array.from({ length: 6 }, (_, i) => mention('T0BUSY001', 'C0KEEP001', `keep-${i}`)),
    );
    expect(refused).toBe(true);
    expect(arrived().get('C0KEEP001')).toEqual(['keep-0', 'keep-1', 'keep-2', 'keep-3', 'keep-4', 'keep-5']);
  });

  it('one sent back to the outbox by a long Retry-After holds its channel until a drain runs it', async () => {
    let refused = false;
    fake.on('chat.postMessage', (call) => {
      if (call.args.text !== 'hold-0' || refused) return undefined;
      refused = true;
      return { status: 429, headers: { 'retry-after': '4' } }; // past the 3 s waited out in place
    });
    const pipeline = pipelineOn(database);
    const started = Date.now();
    const draining = new Promise<void>((resolve) => setTimeout(resolve, 4_500)).then(() => pipeline.drain());
    const events = Array.from({ length: 3 }, (_, i) => mention('T0BUSY001', 'C0HOLD001', `hold-${i}`));
    await Promise.all([burst(pipeline, [...events, mention('T0BUSY001', 'C0FREE001', 'free-0')]), draining]);
    expect(arrived().get('C0HOLD001')).toEqual(['hold-0', 'hold-1', 'hold-2']);
    const at = (text: string) => fake.callsOf('chat.postMessage').find((c) => c.args.text === text)?.at ?? 0;
    expect(at('hold-1') - started).toBeGreaterThanOrEqual(4_000);
    expect(at('free-0') - started).toBeLessThan(1_000); // another channel is not held
  });

  it('two pipelines on one database send a channel’s messages in the order recorded', async () => {
    const other = database.another ? await database.another() : database;
    const [a, b] = [pipelineOn(database), pipelineOn(other)];
    const take = async (pipeline: Pipeline, event: NormalizedEvent) => {
      const taken = await pipeline.take(event);
      if (taken.status !== 'ack') throw new Error(taken.status);
      return taken;
    };
    const events = Array.from({ length: 8 }, (_, i) => mention('T0BUSY001', 'C0TWO0001', `two-${i}`));
    // The first process records its four, then stalls (a pause, a slow turn of its loop) before
    // running them; the second records its four after them and runs them at once.
    const stalled = await Promise.all(events.slice(0, 4).map((e) => take(a, e)));
    const running = (await Promise.all(events.slice(4).map((e) => take(b, e)))).map((t) => t.after());
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all([...stalled.map((t) => t.after()), ...running]);
    const order = await recorded(database);
    expect(order.get('C0TWO0001')).toEqual(events.map((_, i) => `two-${i}`));
    expect(arrived()).toEqual(order);
  });

  it('a message left by a process that died holds its channel until a drain runs it, then the next goes', async () => {
    const [dead, alive] = [pipelineOn(database), pipelineOn(database)];
    const left = await dead.take(mention('T0BUSY001', 'C0DEAD001', 'dead-0')); // recorded, never run
    if (left.status !== 'ack') throw new Error(left.status);
    const next = alive.take(mention('T0BUSY001', 'C0DEAD001', 'dead-1')).then((t) => {
      if (t.status !== 'ack') throw new Error(t.status);
      return t.after();
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.callsOf('chat.postMessage')).toEqual([]); // the later one waits for the earlier
    const report = await alive.drain(); // the dead owner holds no lock: its lease is taken
    await next;
    expect(report.done).toBe(1);
    expect(arrived().get('C0DEAD001')).toEqual(['dead-0', 'dead-1']);
  });

  it('gives a message its turn only when no earlier one of its channel is open, and gives up at its deadline', async () => {
    const pipeline = pipelineOn(database);
    for (const text of ['turn-0', 'turn-1']) await pipeline.take(mention('T0BUSY001', 'C0TURN001', text)); // not run
    const ids = z
      .array(z.object({ id: z.coerce.number() }))
      .parse(await database.raw('select id from outbox order by id', []))
      .map((row) => row.id);
    const [first = 0, second = 0] = ids;
    const order = new LaneOrder(database.raw, quiet, 20);
    let told = 0;
    const turn = (id: number, ms: number) =>
      order.turn('T0BUSY001:post:C0TURN001', { id, until: Date.now() + ms, waiting: () => void told++ });
    expect(await turn(second, 200)).toBe(false);
    expect(told).toBe(1);
    expect(await turn(first, 1_000)).toBe(true);
    const waiting = turn(second, 2_000);
    await database.raw("update outbox set status = 'failed' where id = $1", [first]); // failed for good
    expect(await waiting).toBe(true);
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
  beforeEach(() => database.raw('truncate deliveries, outbox, lanes restart identity cascade', []));
  afterEach(() => fake.reset());

  it('three processes on one PostgreSQL share the lanes’ budgets and keep each channel’s order', async () => {
    if (!database.another) throw new Error('PostgreSQL only');
    const pipelines = [
      pipelineOn(database),
      pipelineOn(await database.another()),
      pipelineOn(await database.another()),
    ];
    // Four channels whose first calls reach the processes in different orders.
    const events = Array.from({ length: 40 }, (_, i) =>
      mention('T0BUSY001', `C0SHARE0${(i * 7) % 4}`, `share-${i}`),
    );
    const started = Date.now();
    await spread(pipelines, events);
    const elapsed = Date.now() - started;
    expect(fake.rateLimited.map((c) => String(c.args.text))).toEqual([]);
    const order = await recorded(database);
    expect([...order.values()].map((texts) => texts.length)).toEqual([10, 10, 10, 10]);
    expect(arrived()).toEqual(order);
    // 10 per lane at 5/s, 3 at once: at least 1.4 s whichever process sends them.
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
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
      ordered: false,
    });
    expect(laneOf('chat.postMessage', { channel: 'C1' }, ws).ordered).toBe(true);
    expect(laneOf('views.open', {}, ws, parseBudgets('tier4=200/min')).budget).toEqual({
      perMinute: 200,
      burst: 20,
    });
    expect(() => parseBudgets('tier3=fast')).toThrow(/SLACK_RATE_LIMITS: cannot read "tier3=fast"/);
  });
});
