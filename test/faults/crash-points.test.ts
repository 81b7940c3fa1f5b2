import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeProduct } from '../../src/app/fake-product.js';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { holdOwnerLock, newOwnerId, type OwnerLock } from '../../src/db/locks.js';
import { countEffects } from '../../src/db/outbox.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET } from '../../src/testing/signing.js';
import { asProcessStore, type ProcessStore, postgresDatabase, processStores } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';

const adminUrl = process.env.TEST_DATABASE_URL;

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** One process: a pipeline under its own owner, on a database that dies with it. */
interface Process {
  pipeline: Pipeline;
  /** Simulates kill -9: its owner lock goes free and it never writes to the database again. */
  die(): Promise<void>;
}

async function startProcess(
  store: ProcessStore,
  options: { clockAheadMs?: number; productApi?: string } = {},
): Promise<Process> {
  const owner = newOwnerId();
  const lock: OwnerLock | null = store.url ? await holdOwnerLock(store.url, owner) : null;
  const base = await store.open();
  let dead = false;
  const refuse = () => Promise.reject(new Error('this process is dead'));
  const db = new Proxy(base.db, {
    get(target, key, receiver) {
      if (dead) return key === 'then' ? undefined : refuse;
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const database: DatabaseHandle = {
    ...base,
    db,
    raw: (query, params) => (dead ? refuse() : base.raw(query, params)),
  };
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    SLACK_RATE_LIMITS: 'off', // about crashes and leases, not Slack's limits
  });
  const app = linkApp(quiet);
  const ahead = options.clockAheadMs ?? 0;
  const pipeline = createPipeline({
    app,
    settings: app.settings({ APP_URL: 'https://app.example.com', PRODUCT_API_URL: options.productApi }),
    config,
    database,
    logger: quiet,
    owner,
    executor: { now: () => new Date(Date.now() + ahead) },
  });
  return {
    pipeline,
    die: async () => {
      dead = true;
      await lock?.release();
    },
  };
}

const mention = (n: number) => {
  const event = fixtureEvent('event_app_mention');
  const ts = `1764400000.${String(n).padStart(6, '0')}`;
  return {
    ...event,
    deliveryId: `crash-${n}`,
    payload: { ...event.payload, ts, event_ts: ts },
  } as typeof event;
};
const threadOf = (n: number) => `1764400000.${String(n).padStart(6, '0')}`;
const callsFor = (n: number) =>
  fake.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === threadOf(n)).length;

const stores = processStores('crash points run');
if (!adminUrl) console.info('TEST_DATABASE_URL is not set: the two-process test is skipped');

describe.each(stores)('crash points in the executor (%s)', (_name, createStore) => {
  let store: ProcessStore;
  let arrivals: string[];
  beforeEach(async () => {
    store = await createStore();
    fake.reset();
    arrivals = [];
    fake.on('chat.postMessage', (call) => {
      arrivals.push(String(call.args.thread_ts));
      return { delayMs: 150 };
    });
  }, 120_000); // an in-memory PGlite and its migrations: slow on a loaded machine
  afterEach(() => store.drop());

  it('after record, before the ack: Slack retries, the retry is a duplicate, the effect runs once', async () => {
    const a = await startProcess(store);
    const done = await a.pipeline.take(mention(0));
    await (done.status === 'ack' ? done.after() : null); // one that completed before the crash
    const taken = await a.pipeline.take(mention(1));
    expect(taken.status === 'ack' && taken.recorded).toBe('new');
    await a.die(); // before the ack left: Slack retries the delivery
    const b = await startProcess(store);
    const retry = await b.pipeline.take({ ...mention(1), retryNum: 1 });
    expect(retry.status === 'ack' && retry.recorded).toBe('duplicate');
    expect(await b.pipeline.drain()).toMatchObject({ done: 1, retried: 0, failed: 0 });
    expect([callsFor(0), callsFor(1)]).toEqual([1, 1]);
  });

  it('after the ack, before the effect: the next drain runs it, once', async () => {
    const a = await startProcess(store);
    await a.pipeline.take(mention(2)); // acked; after() never called
    await a.die();
    const b = await startProcess(store);
    expect(await b.pipeline.drain()).toMatchObject({ done: 1 });
    expect(await b.pipeline.drain()).toMatchObject({ done: 0 });
    expect(callsFor(2)).toBe(1);
  });

  it('during the Web API call: runs at most once more (the call had reached Slack)', async () => {
    const a = await startProcess(store);
    const taken = await a.pipeline.take(mention(3));
    if (taken.status !== 'ack') throw new Error('not acked');
    void taken.after();
    while (!arrivals.includes(threadOf(3))) await new Promise((resolve) => setTimeout(resolve, 5));
    await a.die(); // the call is on its way to Slack
    const b = await startProcess(store);
    expect(await b.pipeline.drain()).toMatchObject({ done: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300)); // A's call finishes at the fake
    expect(callsFor(3)).toBe(2);
    expect(await countEffects(store.handle.db)).toEqual({ done: 1 });
  });

  it('after the call, before the done mark: runs at most once more', async () => {
    const a = await startProcess(store);
    const taken = await a.pipeline.take(mention(4));
    if (taken.status !== 'ack') throw new Error('not acked');
    const after = taken.after();
    while (!arrivals.includes(threadOf(4))) await new Promise((resolve) => setTimeout(resolve, 5));
    await a.die(); // the answer is on its way back; the mark cannot be written
    expect((await after).map((o) => o.status)).toEqual(['done']);
    expect(callsFor(4)).toBe(1);
    const b = await startProcess(store);
    expect(await b.pipeline.drain()).toMatchObject({ done: 1 });
    expect(callsFor(4)).toBe(2);
    expect(await b.pipeline.drain()).toMatchObject({ done: 0 });
  });
});

describe.each(stores)('crash points in a conversation (%s)', (_name, createStore) => {
  const product = new FakeProduct();
  let store: ProcessStore;
  let arrivals: string[];
  beforeAll(() => product.start());
  afterAll(() => product.stop());
  beforeEach(async () => {
    store = await createStore();
    fake.reset();
    product.requests.length = 0;
    arrivals = [];
    fake.on('chat.postMessage', (call) => {
      arrivals.push(String(call.args.thread_ts));
      return { delayMs: 150 };
    });
  }, 120_000);
  afterEach(() => store.drop());

  const updates = () => fake.callsOf('chat.update').map((c) => c.args.text);
  const steps = async () =>
    store.handle.raw("select name from deliveries where kind = 'step' order by id", []);

  it('after the result, before the step is recorded: the call runs once more, the step once', async () => {
    product.answer('acme', { summary: 'all green' });
    const a = await startProcess(store, { productApi: product.url });
    await linkAcme(a.pipeline);
    const taken = await a.pipeline.take(mention(30));
    if (taken.status !== 'ack') throw new Error('not acked');
    const after = taken.after();
    while (!arrivals.includes(threadOf(30))) await new Promise((resolve) => setTimeout(resolve, 5));
    await a.die(); // the answer is on its way back; the step cannot be recorded
    await after;
    expect(await steps()).toEqual([]);
    const b = await startProcess(store, { productApi: product.url });
    await b.pipeline.drain();
    await settle(b.pipeline, () => updates().length === 1);
    expect(callsFor(30)).toBe(2);
    expect(await steps()).toEqual([{ name: 'org-reply-posted' }, { name: 'org-summary-ready' }]);
    expect(updates()).toEqual([
      'This channel is linked to <https://app.example.com/orgs/acme|Acme Corp>: all green',
    ]);
  });

  it('after the step is recorded, during its task: the task runs again with the same idempotency key, the update once', async () => {
    product.answer('acme', { summary: 'slow', delayMs: 300 });
    const a = await startProcess(store, { productApi: product.url });
    await linkAcme(a.pipeline);
    const taken = await a.pipeline.take(mention(31));
    if (taken.status !== 'ack') throw new Error('not acked');
    void taken.after();
    while (product.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await a.die(); // the step and its task are recorded; the task's answer will never be written
    product.answer('acme', { summary: 'after the crash' });
    const b = await startProcess(store, { productApi: product.url });
    await b.pipeline.drain();
    await settle(b.pipeline, () => updates().length === 1);
    expect(callsFor(31)).toBe(1);
    expect(product.requests.map((r) => r.idempotencyKey)).toEqual([
      product.requests[0]?.idempotencyKey,
      product.requests[0]?.idempotencyKey,
    ]);
    expect(await steps()).toEqual([{ name: 'org-reply-posted' }, { name: 'org-summary-ready' }]);
    expect(updates()).toEqual([
      'This channel is linked to <https://app.example.com/orgs/acme|Acme Corp>: after the crash',
    ]);
  });
});

/** Links the mention fixtures' channel to acme, as `/link acme` would. */
async function linkAcme(pipeline: Pipeline) {
  const { raw } = pipeline.database;
  await raw("insert into organizations (slug, name) values ('acme', 'Acme Corp') on conflict do nothing", []);
  await raw(
    "insert into channel_links (team_id, channel_id, organization_id, linked_by) select 'T0001ACME', 'C0CHAN001', id, 'U0USER001' from organizations where slug = 'acme' on conflict do nothing",
    [],
  );
}

/** Waits until `check` holds, draining as the drain loop would. */
async function settle(pipeline: Pipeline, check: () => boolean) {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pipeline.drain();
    await pipeline.idle();
  }
}

describe.skipIf(!adminUrl)('two live processes on one PostgreSQL', () => {
  let store: ProcessStore;
  beforeEach(async () => {
    store = asProcessStore(await postgresDatabase());
    fake.reset();
    fake.on('chat.postMessage', () => ({ delayMs: 500 }));
  }, 60_000);
  afterEach(() => store.drop());

  it('never take each other’s leases, whatever their expiry; a dead one’s are taken at once', async () => {
    // B's clock runs 10 minutes ahead: every lease A holds looks expired to it.
    const a = await startProcess(store);
    const b = await startProcess(store, { clockAheadMs: 10 * 60_000 });
    const runs: Promise<unknown>[] = [];
    for (let n = 10; n < 20; n++) {
      const taken = await (n % 2 ? a : b).pipeline.take(mention(n));
      if (taken.status === 'ack') runs.push(taken.after());
    }
    // Drains from each while all ten replies are running.
    const [fromA, fromB] = await Promise.all([a.pipeline.drain(), b.pipeline.drain()]);
    expect([fromA.done, fromB.done]).toEqual([0, 0]);
    await Promise.all(runs);
    expect(Array.from({ length: 10 }, (_, i) => callsFor(10 + i))).toEqual(Array(10).fill(1));

    // A records more, then dies before running them: B takes them at once.
    for (let n = 20; n < 25; n++) await a.pipeline.take(mention(n));
    const beforeDeath = await b.pipeline.drain();
    expect(beforeDeath.done).toBe(0);
    await a.die();
    const started = performance.now();
    expect(await b.pipeline.drain()).toMatchObject({ done: 5 });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(Array.from({ length: 5 }, (_, i) => callsFor(20 + i))).toEqual(Array(5).fill(1));
    expect(await countEffects(store.handle.db)).toEqual({ done: 15 });
  });
});
