/**
 * Conversations: results that feed the next pure handler, app tasks and timers, all recorded in the
 * outbox and run by the executor, on PGlite and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../src/config/settings.js';
import { api, later, taskBuilder } from '../../src/core/action.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes } from '../../src/core/context.js';
import { defineTask } from '../../src/core/conversation.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { Router } from '../../src/core/router.js';
import type { StoreHandle } from '../../src/db/database.js';
import { retryEffect } from '../../src/db/inspect.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { eventOf } from '../../src/testing/run-handler.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { eventually } from '../helpers/eventually.js';
import { fixture } from '../helpers/fixtures.js';
import { quiet } from '../helpers/http-stack.js';

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const calls: { slug: string; key: string; attempt: number }[] = [];
let summaries: Record<string, string | Error> = {};
const tasks = {
  summary: defineTask({
    input: z.object({ slug: z.string() }),
    output: z.object({ text: z.string() }),
    async run({ slug }, { idempotencyKey, attempt }) {
      calls.push({ slug, key: idempotencyKey, attempt });
      const answer = summaries[slug];
      if (answer instanceof Error) throw answer;
      return { text: answer ?? `no summary for ${slug}` };
    },
  }),
  /** Answers a value JSON cannot hold: its step can never be recorded. */
  count: defineTask({
    input: z.object({ slug: z.string() }),
    output: z.object({ n: z.bigint() }),
    async run() {
      calls.push({ slug: 'count', key: '', attempt: 0 });
      return { n: 10n };
    },
  }),
};
/** How many times the `posted` step's look-up fails before it answers (a store that is down). */
let lookupFailures = 0;
const task = taskBuilder<typeof tasks>();

const Posted = z.object({ ts: z.string(), channel: z.string() });
const Carried = z.object({ slug: z.string(), channel: z.string(), ts: z.string() });

const router = new Router<Flow>(quiet)
  .on(
    'event',
    'app_mention',
    (event) => [
      api('chat.postMessage', { channel: event.payload.channel, text: 'Looking up acme…' }).then('posted', {
        slug: /globex|count/.exec(event.payload.text)?.[0] ?? 'acme',
      }),
    ],
    { calls: ['chat.postMessage'] },
  )
  .on('step', 'posted', (event) => {
    const posted = Posted.parse(event.payload.result);
    const { slug } = z.object({ slug: z.string() }).parse(event.payload.data);
    if (lookupFailures > 0) {
      lookupFailures--;
      throw new StoreUnavailableError('the store did not answer');
    }
    if (slug === 'count') return [task('count', { slug }).then('counted')];
    return [
      task('summary', { slug })
        .then('summarized', { slug, ...posted })
        .catch('unsummarized', { slug, ...posted }),
    ];
  })
  .on(
    'step',
    'summarized',
    (event) => {
      const { channel, ts } = Carried.parse(event.payload.data);
      const { text } = z.object({ text: z.string() }).parse(event.payload.result);
      return [api('chat.update', { channel, ts, text })];
    },
    { calls: ['chat.update'] },
  )
  .on(
    'step',
    'unsummarized',
    (event) => {
      const { channel, ts, slug } = Carried.parse(event.payload.data);
      return [api('chat.update', { channel, ts, text: `Could not read ${slug}: ${event.payload.error}` })];
    },
    { calls: ['chat.update'] },
  )
  .on('command', '/weather', (event) => [
    later('300ms', 'remind', { user: event.payload.user_id, channel: event.payload.channel_id }),
  ])
  .on(
    'step',
    'remind',
    (event) => {
      const { channel, user } = z.object({ channel: z.string(), user: z.string() }).parse(event.payload.data);
      return [api('chat.postEphemeral', { channel, user, text: 'Reminder' })];
    },
    { calls: ['chat.postEphemeral'] },
  );

const flowApp = defineApp<Flow, StoreHandle>({
  router,
  settings: () => ({}),
  lookups: () => ({}),
  writes: { schema: z.object({ type: z.literal('store'), op: z.literal('never') }), apply: async () => {} },
  tasks: () => tasks,
});

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

describe.each(testDatabases())('steps, tasks and timers on %s', (_name, open) => {
  let database: TestDatabase;
  let pipeline: Pipeline;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.raw('truncate deliveries, outbox restart identity cascade', []);
    calls.length = 0;
    lookupFailures = 0;
    summaries = { acme: 'Acme Corp: 12 channels linked' };
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-flow', SLACK_API_URL: fake.apiUrl });
    pipeline = createPipeline({
      app: flowApp,
      settings: {},
      config,
      database,
      logger: quiet,
      executor: { baseDelayMs: 20, maxAttempts: 2 },
      // A long-lived process's owner: its timers wake the executor when due (a Worker's wait for a drain).
      owner: `steps-test-${process.pid}`,
    });
  });
  afterEach(() => fake.reset());

  const updates = () => fake.callsOf('chat.update').map((c) => [c.args.channel, c.args.ts, c.args.text]);

  it('posts, feeds the posted ts to a task, and updates that same message with its output', async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => updates().length === 1);
    const results = await database.raw(
      "select action->>'type' as type, result->>'ts' as ts from outbox where result is not null order by id",
      [],
    );
    const posted = z.array(z.object({ ts: z.string().nullable() })).parse(results)[0]?.ts;
    expect(posted).toMatch(/^\d+\.\d+$/);
    expect(updates()).toEqual([['C0CHAN001', posted, 'Acme Corp: 12 channels linked']]);
    expect(calls).toEqual([{ slug: 'acme', key: expect.stringMatching(/^task:\d+$/), attempt: 1 }]);
    const steps = await database.raw(
      "select dedup_key, name, team_id, channel_id, user_id, handler from deliveries where kind = 'step' order by id",
      [],
    );
    expect(steps).toEqual([
      {
        dedup_key: expect.stringMatching(/^step:\d+$/),
        name: 'posted',
        team_id: 'T0001ACME',
        channel_id: 'C0CHAN001',
        user_id: 'U0USER001',
        handler: 'step:posted',
      },
      expect.objectContaining({ name: 'summarized', handler: 'step:summarized', channel_id: 'C0CHAN001' }),
    ]);
    expect(results).toEqual([
      { type: 'api', ts: posted },
      { type: 'task', ts: null },
    ]);
  });

  it('retries a failing task with one idempotency key, then tells the .catch step', async () => {
    summaries = { globex: new Error('product API answered 503') };
    const mention = fixture('event_app_mention');
    const inner = z.looseObject({}).parse(mention.payload.event);
    const globex = eventOf({
      ...mention,
      payload: { ...mention.payload, event: { ...inner, text: 'globex?' } },
    });
    const taken = await pipeline.take(globex);
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => calls.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await pipeline.drain();
    await eventually(pipeline, () => updates().length === 1);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(new Set(calls.map((c) => c.key)).size).toBe(1);
    expect(updates()[0]?.[2]).toBe('Could not read globex: product API answered 503');
  });

  it('runs a step once, even when the effect that feeds it is ended twice', async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => updates().length === 1);
    // Another process, late, tries to end the post again: the effect is no longer running, so nothing is recorded.
    const [postRow] = await database.raw(
      "select id from outbox where action->>'method' = 'chat.postMessage'",
      [],
    );
    expect(postRow).toBeDefined();
    await pipeline.drain();
    expect(updates()).toHaveLength(1);
    expect(await database.raw("select count(*)::int as n from deliveries where kind = 'step'", [])).toEqual([
      { n: 2 },
    ]);
  });

  /** A mention whose text says which flow it takes. */
  const mentionSaying = (text: string, n: number) => {
    const mention = fixture('event_app_mention');
    const inner = z.looseObject({}).parse(mention.payload.event);
    const ts = `1764100000.00020${n}`;
    return eventOf({ ...mention, payload: { ...mention.payload, event: { ...inner, text, ts } } });
  };

  it('keeps a step its look-up could not make, and records it later without running the effect again', async () => {
    lookupFailures = 3;
    const taken = await pipeline.take(mentionSaying('acme?', 1));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => updates().length === 1);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    expect(lookupFailures).toBe(0);
    expect(await database.raw("select name from deliveries where kind = 'step' order by id", [])).toEqual([
      { name: 'posted' },
      { name: 'summarized' },
    ]);
  });

  it('fails an effect whose step can never be recorded (its result cannot be stored), and runs it once', async () => {
    const taken = await pipeline.take(mentionSaying('count', 2));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => calls.some((c) => c.slug === 'count'));
    await pipeline.drain();
    await pipeline.drain();
    const [count] = z
      .array(z.object({ status: z.string(), last_error: z.string().nullable() }))
      .parse(await database.raw("select status, last_error from outbox where action->>'name' = 'count'", []));
    expect(count).toEqual({
      status: 'failed',
      last_error: 'the step after it could not be recorded: Do not know how to serialize a BigInt',
    });
    expect(calls.filter((c) => c.slug === 'count')).toHaveLength(1);
  });

  it('still delivers the .then step when a task that went to .catch is retried by hand and succeeds', async () => {
    summaries = { globex: new Error('down') };
    const taken = await pipeline.take(mentionSaying('globex?', 3));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => calls.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await pipeline.drain();
    await eventually(pipeline, () => updates().length === 1);
    summaries = { globex: 'back' };
    const [task] = z
      .array(z.object({ id: z.coerce.number() }))
      .parse(await database.raw("select id from outbox where action->>'type' = 'task'", []));
    expect(await retryEffect(database.db, task?.id ?? 0, new Date())).toBe(true);
    await pipeline.drain();
    await eventually(pipeline, () => updates().length === 2);
    expect(updates().map((u) => u[2])).toEqual(['Could not read globex: down', 'back']);
    expect(
      await database.raw("select dedup_key from deliveries where dedup_key like 'step:%:failed'", []),
    ).toHaveLength(1);
  });

  it('delivers a timer step when it is due, not before', async () => {
    const taken = await pipeline.take(fixtureEvent('command_other'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    const started = Date.now();
    await taken.after();
    expect(fake.callsOf('chat.postEphemeral')).toEqual([]);
    await eventually(pipeline, () => fake.callsOf('chat.postEphemeral').length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(fake.callsOf('chat.postEphemeral').map((c) => c.args.text)).toEqual(['Reminder']);
  });
});
