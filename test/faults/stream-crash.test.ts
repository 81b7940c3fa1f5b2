/**
 * A turn survives a crash: the reference app's assistant ("Ask Org Linker", scripted model, tool
 * reading the fake product) is killed at points of its streamed answer, as kill -9 would (its
 * database writes and Slack calls refused from that instant, its owner lock freed), and a second
 * process takes the turn over. The user ends with one complete answer, never the same text twice in
 * one message, on PGlite and PostgreSQL.
 */
import type { FetchFunction } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { scriptedAnswer } from '../../src/app/agent/model.js';
import { FakeProduct } from '../../src/app/fake-product.js';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { holdOwnerLock, newOwnerId } from '../../src/db/locks.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { INTERRUPTED_NOTE } from '../../src/pipeline/stream/writer.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { eventOf } from '../../src/testing/run-handler.js';
import { type ProcessStore, processStores } from '../helpers/databases.js';
import { fixture } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';

const fake = new FakeSlack();
const product = new FakeProduct();
beforeAll(async () => {
  await fake.start();
  await product.start();
});
afterAll(async () => {
  await fake.stop();
  await product.stop();
});

/** When a process dies: right after Slack answered the `nth` call of `method`. */
interface KillAt {
  method: string;
  nth: number;
}

/** One process of the reference app; `killAt` kills it at that point of the stream. */
async function startProcess(
  store: ProcessStore,
  killAt?: KillAt,
): Promise<{ pipeline: Pipeline; dead: () => boolean }> {
  const owner = newOwnerId();
  const lock = store.url ? await holdOwnerLock(store.url, owner) : null;
  const base = await store.open();
  let dead = false;
  const die = async () => {
    dead = true;
    await lock?.release();
  };
  const refuse = () => Promise.reject(new Error('this process is dead'));
  const db = new Proxy(base.db, {
    get(target, key, receiver) {
      // A dead process's query builder throws at once (a rejected promise would go unhandled mid-chain).
      if (dead)
        return key === 'then'
          ? undefined
          : () => {
              throw new Error('this process is dead');
            };
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const database: DatabaseHandle = { ...base, db, raw: (q, p) => (dead ? refuse() : base.raw(q, p)) };
  let seen = 0;
  // The process's Slack connection: gone with it; the kill comes as Slack's answer arrives.
  const slackFetch: FetchFunction = async (url, init) => {
    if (dead) throw new Error('this process is dead');
    const response = await fetch(url, init as RequestInit);
    if (killAt && String(url).endsWith(`/${killAt.method}`) && ++seen === killAt.nth) await die();
    return response;
  };
  const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl });
  const app = linkApp(quiet);
  const pipeline = createPipeline({
    app,
    settings: app.settings({ PRODUCT_API_URL: product.url, MODEL_SCRIPT_DELAY_MS: '8' }),
    config,
    database,
    logger: quiet,
    owner,
    slackFetch,
    streams: { intervalMs: 30 },
  });
  return { pipeline, dead: () => dead };
}

const THREAD = '1764100400.000100';
/** "What is acme up to?" in the assistant's thread, as a direct message. */
function question() {
  const raw = fixture('event_message');
  const inner = z.looseObject({}).parse(raw.payload.event);
  const event = {
    ...inner,
    channel: 'D0DMCHAN01',
    channel_type: 'im',
    thread_ts: THREAD,
    ts: '1764100401.000100',
    text: 'What is acme up to?',
  };
  return eventOf({ ...raw, payload: { ...raw.payload, event_id: 'Ev0ASKACME1', event } });
}

const ANSWER = scriptedAnswer('acme', { summary: 'all green, 12 channels linked' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runUntilEnded(pipeline: Pipeline, store: ProcessStore) {
  const until = Date.now() + 20_000;
  for (;;) {
    const rows = await store.handle.raw("select status from streams where status <> 'streaming'", []);
    if (rows.length > 0) return;
    if (Date.now() > until) throw new Error(`no answer ended; streams: ${JSON.stringify(fake.streams())}`);
    await pipeline.drain();
    await sleep(40);
  }
}

const stores = processStores('the stream crash test runs');

describe.each(stores)('a streamed answer killed mid-turn (%s)', (_name, createStore) => {
  let store: ProcessStore;
  beforeEach(async () => {
    store = await createStore();
    fake.reset();
    product.answer('acme', { summary: 'all green, 12 channels linked' });
    await store.handle.raw("insert into organizations (slug, name) values ('acme', 'Acme Corp')", []);
  }, 120_000);
  afterEach(() => store.drop());

  /** Asks in process A (killed at `killAt`), then lets process B finish the turn. */
  async function askAndCrash(killAt: KillAt) {
    const a = await startProcess(store, killAt);
    const taken = await a.pipeline.take(question());
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after().catch(() => []);
    while (!a.dead()) await sleep(10);
    const b = await startProcess(store);
    await runUntilEnded(b.pipeline, store);
    await b.pipeline.idle();
  }

  /** No message holds any text twice over, and every message is closed. */
  function expectClean() {
    for (const message of fake.streams()) {
      expect(message.stopped || message.expired).toBe(true);
      const body = message.text.replace(INTERRUPTED_NOTE, '');
      expect(ANSWER.startsWith(body) || body === ANSWER).toBe(true);
    }
  }

  it('killed after a few chunks: the half message is closed with a note, the answer is written whole once', async () => {
    await askAndCrash({ method: 'chat.appendStream', nth: 2 });
    const messages = fake.streams();
    const whole = messages.filter((m) => m.text === ANSWER);
    expect(whole).toHaveLength(1);
    expect(messages.filter((m) => m.text.endsWith(INTERRUPTED_NOTE))).toHaveLength(1);
    expect(messages).toHaveLength(2);
    expect(whole[0]?.blocks).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'context_actions' })]),
    );
    expectClean();
  });

  it('killed as the message started: the turn is redone, one answer whole', async () => {
    await askAndCrash({ method: 'chat.startStream', nth: 1 });
    const whole = fake.streams().filter((m) => m.text === ANSWER);
    expect(whole).toHaveLength(1);
    // The message whose start never reached the database cannot be found again: Slack ends it at its expiry.
    for (const message of fake.streams())
      if (message !== whole[0]) expect(ANSWER.startsWith(message.text)).toBe(true);
  });

  it('killed after the final stop reached Slack: nothing is written again', async () => {
    await askAndCrash({ method: 'chat.stopStream', nth: 1 });
    const messages = fake.streams();
    expect(messages.map((m) => m.text)).toEqual([ANSWER]);
    expect(messages[0]?.stopped).toBe(true);
    const rows = await store.handle.raw('select status from streams', []);
    expect(rows).toEqual([{ status: 'complete' }]);
    expectClean();
  });

  it('the tool reads the product with one idempotency key across the crash', async () => {
    await askAndCrash({ method: 'chat.appendStream', nth: 1 });
    const keys = product.requests.map((r) => r.idempotencyKey);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
  });
});
