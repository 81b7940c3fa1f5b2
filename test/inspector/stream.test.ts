/**
 * The inspector's stream view: a delivery whose handler streamed an answer through the fake Slack
 * shows the stream's end, its messages and every Slack call (text escaped and redacted), and an
 * answer redone after a failure shows the closed message and the failed call; PGlite and PostgreSQL.
 */
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../src/config/settings.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes } from '../../src/core/context.js';
import { Router } from '../../src/core/router.js';
import { defineStream, type StreamPart, streamBuilder } from '../../src/core/stream.js';
import type { StoreHandle } from '../../src/db/database.js';
import { inspectorRoutes, withInspector } from '../../src/inspector/index.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { quiet } from '../helpers/http-stack.js';

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the next answer yields, each part after `gapMs`; `failAfter` parts in, the first try throws. */
const script = { parts: [] as StreamPart[], gapMs: 0, failAfter: null as number | null };

const tasks = {
  answer: defineStream({
    input: z.object({ question: z.string() }),
    async *run(_input, { attempt }) {
      let n = 0;
      for (const part of script.parts) {
        if (script.gapMs > 0) await sleep(script.gapMs);
        if (script.failAfter !== null && attempt === 1 && n === script.failAfter) {
          // The first try fails only after its refused append, so the refusal is always the first try's.
          await fake.waitFor((calls) => calls.some((call) => call.method === 'chat.appendStream'));
          throw new Error('the model went away');
        }
        n++;
        yield part;
      }
    },
  }),
};
const stream = streamBuilder<typeof tasks>();

const router = new Router<Flow>(quiet).on('event', 'app_mention', (event) => [
  stream(
    'answer',
    { question: event.payload.text },
    { channel: event.payload.channel, thread_ts: event.payload.ts, recipient_user_id: 'U0USER001' },
  ),
]);

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

/** The text of the first element matching `testid` (tags dropped, spaces squeezed). */
const textOf = (html: string, testid: string) =>
  (new RegExp(`<(\\w+) data-testid="${testid}">([\\s\\S]*?)</\\1>`).exec(html)?.[2] ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe.each(testDatabases())('the stream view on %s', (_name, open) => {
  let database: TestDatabase;
  let pipeline: Pipeline;
  let pages: Hono;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());

  beforeEach(async () => {
    await database.raw('truncate deliveries, outbox restart identity cascade', []);
    Object.assign(script, { parts: [], gapMs: 0, failAfter: null });
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-stream', SLACK_API_URL: fake.apiUrl });
    const built = withInspector(
      createPipeline({
        app,
        settings: {},
        config,
        database,
        logger: quiet,
        executor: { baseDelayMs: 20, maxAttempts: 3 },
        owner: `stream-view-${process.pid}`,
        streams: { intervalMs: 20 },
      }),
      {
        app,
        settings: {},
        config,
        logger: quiet,
        mode: 'HTTP',
        version: 'test',
        access: { production: false },
      },
    );
    pipeline = built.pipeline;
    pages = new Hono().route(
      '/_inspect',
      inspectorRoutes(async () => built.inspector),
    );
  });
  afterEach(async () => {
    await pipeline.idle();
    fake.reset();
  });

  /** Delivers a mention and waits until its answer's row says it ended, draining retries meanwhile. */
  const answered = async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await database.raw("select status from streams where status <> 'streaming'", []);
      if (row && (await database.raw("select 1 from outbox where status = 'done'", [])).length === 1) return;
      if (Date.now() > deadline) throw new Error('the answer did not end');
      await sleep(25);
      await pipeline.drain();
    }
  };
  const page = async () => (await pages.request('/_inspect/deliveries/d1')).text();

  it('shows how the answer ended, its message and each Slack call, text escaped and redacted', async () => {
    script.parts = [
      'Acme is <b>green</b> ',
      '& xoxb-1234-5678-secret ',
      { type: 'task_update', id: 't1', title: 'Reading acme', status: 'complete' },
    ];
    script.parts.push(...Array.from({ length: 20 }, (_, i) => `word${i} `));
    script.gapMs = 5;
    await answered();
    const [message] = fake.streams();
    const html = await page();
    expect(html).toContain('<a href="#stream-1">stream answer</a>');
    expect(textOf(html, 'stream-end')).toMatch(
      new RegExp(
        `^written whole, ended with chat.stopStream. To C0CHAN001, thread 1764100000.000100: 1 message, ${message?.text.length} chars in \\d+ calls over \\d+ ms; first text \\d+ ms after the delivery was received.$`,
      ),
    );
    expect(textOf(html, 'stream-messages')).toMatch(
      new RegExp(`^message ts started \\(ms\\) attempt end ${message?.ts} \\+0 1 complete$`),
    );
    const calls = [...html.matchAll(/<tr data-call="(\w+)">/g)].map((m) => m[1]);
    expect(calls[0]).toBe('start');
    expect(calls.at(-1)).toBe('stop');
    expect(new Set(calls.slice(1, -1))).toEqual(new Set(['append']));
    expect(textOf(html, 'stream-calls')).toMatch(
      /^# Slack call at \(ms\) took \(ms\) message ts chars other parts text error 1 chat.startStream \+\d+ \d+ /,
    );
    expect(html).toContain('<code title="Acme is &lt;b&gt;green&lt;/b&gt; ">');
    expect(html).toContain('&amp; xoxb-…');
    expect(html).not.toContain('xoxb-1234-5678-secret');
    expect(html).not.toContain('<b>green');
  });

  it('shows an answer redone after a failure: the message closed with a note, the failed call, the whole answer', async () => {
    script.parts = Array.from({ length: 12 }, (_, i) => `r${i} `);
    script.gapMs = 10;
    script.failAfter = 6;
    // The first append is refused (on the first try, whatever the machine's pace): it shows with Slack's error.
    fake.on('chat.appendStream', (_call, nth) =>
      nth === 1 ? { body: { ok: false, error: 'ratelimited' } } : undefined,
    );
    await answered();
    const [first, second] = fake.streams();
    const html = await page();
    expect(textOf(html, 'stream-end')).toMatch(
      /^written whole, ended with chat.stopStream. To C0CHAN001, thread 1764100000.000100: 2 messages, /,
    );
    expect(textOf(html, 'stream-messages')).toMatch(
      new RegExp(
        `^message ts started \\(ms\\) attempt end ${first?.ts} \\+0 1 interrupted ${second?.ts} \\+\\d+ 2 complete$`,
      ),
    );
    const calls = [...html.matchAll(/<tr data-call="(\w+)">/g)].map((m) => m[1]);
    expect(calls).toContain('close');
    expect(html).toContain('chat.stopStream (close)');
    expect(html).toMatch(/<td class="err">[^<]*ratelimited[^<]*<\/td>/);
  });
});
