/**
 * Streamed answers: a stream effect bound to a stream task, written with chat.startStream →
 * appendStream → stopStream through the fake Slack (which keeps each message's text and enforces
 * Slack's expiry), coalesced, continued past the expiry, stopped by the user, and redone after a
 * failure without writing the same text twice into one message; on PGlite and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../src/config/settings.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes } from '../../src/core/context.js';
import { Router } from '../../src/core/router.js';
import { defineStream, type StreamPart, stopStream, streamBuilder } from '../../src/core/stream.js';
import type { StoreHandle } from '../../src/db/database.js';
import { StreamStore } from '../../src/db/streams.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { INTERRUPTED_NOTE, STREAM_TEXT_LIMIT } from '../../src/pipeline/stream/writer.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { eventOf } from '../../src/testing/run-handler.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { fixture } from '../helpers/fixtures.js';
import { quiet } from '../helpers/http-stack.js';

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `check` holds, draining due retries between looks (as a process's drain loop would),
 * without waiting for running answers to end (a stop must reach one mid-stream).
 */
async function until(pipeline: Pipeline, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms; streams: ${JSON.stringify(fake.streams())}`);
    await sleep(25);
    void pipeline.drain();
  }
}

/** What the next answer yields, each part after `gapMs`; `failAfter` parts in, the first try throws. */
const script = {
  parts: [] as StreamPart[],
  gapMs: 0,
  failAfter: null as number | null,
  aborted: 0,
  attempts: [] as number[],
};

const tasks = {
  answer: defineStream({
    input: z.object({ question: z.string() }),
    async *run(_input, { signal, attempt }) {
      script.attempts.push(attempt);
      signal.addEventListener('abort', () => script.aborted++, { once: true });
      let n = 0;
      for (const part of script.parts) {
        if (script.gapMs > 0) await sleep(script.gapMs);
        if (script.failAfter !== null && attempt === 1 && n === script.failAfter)
          throw new Error('the model went away');
        n++;
        yield part;
      }
    },
  }),
};
const stream = streamBuilder<typeof tasks>();
const feedback = [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Was this helpful?' }] }] as const;

const router = new Router<Flow>(quiet)
  .on('event', 'app_mention', (event) => [
    stream(
      'answer',
      { question: event.payload.text },
      {
        channel: event.payload.channel,
        thread_ts: event.payload.ts,
        recipient_user_id: event.payload.user ?? 'U0',
        recipient_team_id: 'T0001ACME',
      },
      { blocks: [...feedback] },
    ).then('answered'),
  ])
  .on('event', 'agent_session_stopped', (event) => {
    const { channel, thread_ts } = z
      .object({ channel: z.string(), thread_ts: z.string() })
      .parse(event.payload);
    return [stopStream({ channel, thread_ts })];
  })
  .on('step', 'answered', () => []);

const app = defineApp<Flow, StoreHandle>({
  router,
  settings: () => ({}),
  lookups: () => ({}),
  writes: { schema: z.object({ type: z.literal('store'), op: z.literal('never') }), apply: async () => {} },
  tasks: () => tasks,
});

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

describe.each(testDatabases())('streamed answers on %s', (_name, open) => {
  let database: TestDatabase;
  let pipeline: Pipeline;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());

  const build = (streams: { expiryMs?: number; renewMs?: number } = {}) =>
    createPipeline({
      app,
      settings: {},
      config: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-stream', SLACK_API_URL: fake.apiUrl }),
      database,
      logger: process.env.DEBUG_STREAMS ? console : quiet,
      executor: { baseDelayMs: 20, maxAttempts: 3 },
      owner: `streams-test-${process.pid}`,
      streams: { intervalMs: 40, ...streams },
    });

  beforeEach(async () => {
    await database.raw('truncate deliveries, outbox restart identity cascade', []);
    Object.assign(script, { parts: [], gapMs: 0, failAfter: null, aborted: 0, attempts: [] });
    pipeline = build();
  });
  afterEach(async () => {
    await pipeline.idle();
    fake.reset();
    fake.streamExpiryMs = 5 * 60_000;
  });

  const mention = async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    void taken.after(); // the answer streams on: the test looks at it meanwhile
  };
  const streamRow = async () => (await new StreamStore(database.raw).read([1, 2, 3, 4, 5]))[0];
  /** The answer ended (complete, stopped or cut short) and its row says so. */
  const ended = async () => ['complete', 'stopped', 'time_limit'].includes((await streamRow())?.status ?? '');
  const stepResult = async () => {
    // The result a step was fed from, kept on the effect's row.
    const rows = await database.raw("select result from outbox where action->>'type' = 'stream'", []);
    return z.object({ result: z.unknown() }).array().parse(rows)[0]?.result ?? undefined;
  };

  it('streams the answer into one message, coalesced, and ends it with the final blocks', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i} `);
    script.parts = [
      ...words.slice(0, 30),
      { type: 'task_update', id: 't1', title: 'Reading acme', status: 'complete' },
      ...words.slice(30),
    ];
    script.gapMs = 2;
    await mention();
    await until(pipeline, () => fake.streams().some((s) => s.stopped));
    const [message, ...others] = fake.streams();
    expect(others).toEqual([]);
    expect(message?.text).toBe(words.join(''));
    expect(message?.threadTs).toBe('1764100000.000100');
    expect(message?.recipientUserId).toBe('U0USER001');
    expect(message?.blocks).toEqual(feedback);
    const calls = ['chat.startStream', 'chat.appendStream', 'chat.stopStream'].map(
      (m) => fake.callsOf(m).length,
    );
    expect(calls[0]).toBe(1);
    expect(calls[2]).toBe(1);
    // 61 parts, written in far fewer calls.
    expect(calls.reduce((a, b) => a + b, 0)).toBeLessThan(30);
    const withTask = [...fake.callsOf('chat.appendStream'), ...fake.callsOf('chat.stopStream')].filter((c) =>
      JSON.stringify(c.args.chunks ?? []).includes('task_update'),
    );
    expect(withTask).toHaveLength(1);
    await until(pipeline, async () => (await stepResult()) !== undefined);
    expect(await stepResult()).toEqual({
      channel: 'C0CHAN001',
      messages: [message?.ts],
      chars: words.join('').length,
      end: 'complete',
    });
    const row = await streamRow();
    expect(row?.status).toBe('complete');
    expect(row?.messages).toEqual([
      expect.objectContaining({ ts: message?.ts, end: 'complete', attempt: 1 }),
    ]);
    expect(row?.calls.map((c) => c.call)).toEqual([
      'start',
      ...(row?.calls ?? []).slice(1, -1).map(() => 'append'),
      'stop',
    ]);
  });

  it('keeps every call within Slack’s text limit', async () => {
    const big = 'x'.repeat(STREAM_TEXT_LIMIT * 2 + 500);
    script.parts = ['start ', big, ' end'];
    await mention();
    await until(pipeline, () => fake.streams().some((s) => s.stopped));
    expect(fake.streams()[0]?.text).toBe(`start ${big} end`);
    for (const call of fake.calls.filter((c) => c.method.endsWith('Stream')))
      expect(String(call.args.markdown_text ?? '').length).toBeLessThanOrEqual(STREAM_TEXT_LIMIT);
  });

  it('continues in a new message before Slack’s stream expiry, and loses no text', async () => {
    fake.streamExpiryMs = 500;
    pipeline = build({ expiryMs: 500, renewMs: 150 });
    script.parts = Array.from({ length: 40 }, (_, i) => `p${i} `);
    script.gapMs = 30;
    await mention();
    await until(pipeline, ended, 15_000);
    const messages = fake.streams();
    expect(messages.map((m) => m.text).join('')).toBe(script.parts.join(''));
    // Each message was stopped before its expiry (on a loaded machine, a late stop finds one Slack closed; its text stands).
    expect(messages.filter((m) => m.stopped).length).toBeGreaterThanOrEqual(messages.length - 1);
    expect(messages.at(-1)?.blocks).toEqual(feedback);
    const row = await streamRow();
    expect(row?.messages.map((m) => m.end)).toEqual([
      ...messages.slice(1).map(() => 'continued'),
      'complete',
    ]);
  });

  it('stops when the user presses stop: the task is aborted and the message keeps what was written', async () => {
    script.parts = Array.from({ length: 400 }, (_, i) => `s${i} `);
    script.gapMs = 10;
    await mention();
    await until(pipeline, () => fake.callsOf('chat.appendStream').length >= 2);
    // The user pressed stop in the thread the answer streams into.
    const stop = fixture('event_agent_session_stopped');
    const inner = z.looseObject({}).parse(stop.payload.event);
    const event = { ...inner, channel: 'C0CHAN001', thread_ts: '1764100000.000100' };
    const taken = await pipeline.take(eventOf({ ...stop, payload: { ...stop.payload, event } }));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await until(pipeline, () => fake.streams().some((s) => s.stopped));
    await until(pipeline, async () => (await stepResult()) !== undefined);
    expect(script.aborted).toBe(1);
    const [message] = fake.streams();
    expect(message?.text.length).toBeGreaterThan(0);
    expect(script.parts.join('').startsWith(message?.text ?? '-')).toBe(true);
    expect(message?.text).not.toBe(script.parts.join(''));
    expect(message?.blocks).toBeNull();
    expect(await stepResult()).toMatchObject({ end: 'stopped' });
    expect((await streamRow())?.status).toBe('stopped');
  });

  it('redoes an answer whose task failed midway: the half-written message is closed with a note, the retry writes it whole', async () => {
    script.parts = Array.from({ length: 20 }, (_, i) => `r${i} `);
    script.gapMs = 15;
    script.failAfter = 10;
    await mention();
    await until(pipeline, ended, 15_000);
    const [first, second] = fake.streams();
    const whole = script.parts.join('');
    expect(first?.text.endsWith(INTERRUPTED_NOTE)).toBe(true);
    expect(whole.startsWith(first?.text.slice(0, -INTERRUPTED_NOTE.length) ?? '-')).toBe(true);
    expect(second?.text).toBe(whole);
    expect(second?.blocks).toEqual(feedback);
    expect(script.attempts).toEqual([1, 2]);
    const row = await streamRow();
    expect(row?.messages.map((m) => [m.attempt, m.end])).toEqual([
      [1, 'interrupted'],
      [2, 'complete'],
    ]);
  });
});
