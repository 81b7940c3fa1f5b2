/**
 * The spans of a real pipeline (a mention → a post → a step → a task → a step → an update), collected
 * with OpenTelemetry's in-memory exporter: names, parents, attributes and links.
 */
import {
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { loadConfig } from '../../src/config/settings.js';
import { api, taskBuilder } from '../../src/core/action.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes } from '../../src/core/context.js';
import { defineTask } from '../../src/core/conversation.js';
import { Router } from '../../src/core/router.js';
import type { StoreHandle } from '../../src/db/database.js';
import { effectType, routerTraces } from '../../src/observe/traces.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { eventually } from '../helpers/eventually.js';
import { quiet } from '../helpers/http-stack.js';

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const tasks = {
  summary: defineTask({
    input: z.object({ slug: z.string() }),
    output: z.object({ text: z.string() }),
    run: async ({ slug }) => ({ text: `${slug}: 12 channels linked` }),
  }),
};
const task = taskBuilder<typeof tasks>();
const Posted = z.object({ ts: z.string(), channel: z.string() });

const router = new Router<Flow>(quiet)
  .on(
    'event',
    'app_mention',
    (event) => [
      api('chat.postMessage', { channel: event.payload.channel, text: 'Looking up acme…' }).then('posted'),
    ],
    { calls: ['chat.postMessage'] },
  )
  .on('step', 'posted', (event) => {
    const posted = Posted.parse(event.payload.result);
    return [task('summary', { slug: 'acme' }).then('summarized', posted)];
  })
  .on(
    'step',
    'summarized',
    (event) => {
      const { channel, ts } = Posted.parse(event.payload.data);
      const { text } = z.object({ text: z.string() }).parse(event.payload.result);
      return [api('chat.update', { channel, ts, text })];
    },
    { calls: ['chat.update'] },
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

describe('effectType', () => {
  it('names what ran an effect from its logged name', () => {
    expect(
      ['chat.postMessage', 'task summary', 'stream answer', 'stop_stream', 'respond', 'link_channel'].map(
        effectType,
      ),
    ).toEqual(['api', 'task', 'stream', 'stop_stream', 'respond', 'store']);
  });
});

describe.each(testDatabases())('pipeline spans on %s', (_name, open) => {
  let database: TestDatabase;
  let pipeline: Pipeline;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  // A sampler that would keep every root span but deliveries': their effects and steps must follow them out.
  const noDeliveries: Sampler = {
    shouldSample: (_context, _traceId, name) => ({
      decision: name.startsWith('slack.delivery')
        ? SamplingDecision.NOT_RECORD
        : SamplingDecision.RECORD_AND_SAMPLED,
    }),
    toString: () => 'no deliveries',
  };
  const sampled = new TracerProvider({
    sampler: new ParentBasedSampler({ root: noDeliveries }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const pipelineWith = (tracerProvider: TracerProvider) =>
    createPipeline({
      app: flowApp,
      settings: {},
      config: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-flow', SLACK_API_URL: fake.apiUrl }),
      database,
      logger: quiet,
      owner: `spans-test-${process.pid}`,
      observer: routerTraces(tracerProvider.getTracer('test')) ?? undefined,
    });
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.raw('truncate deliveries, outbox restart identity cascade', []);
    exporter.reset();
    fake.reset();
    pipeline = pipelineWith(provider);
  });

  const named = (name: string): ReadableSpan => {
    const span = exporter.getFinishedSpans().find((s) => s.name === name);
    if (!span) throw new Error(`no span ${name}: ${exporter.getFinishedSpans().map((s) => s.name)}`);
    return span;
  };
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const linksOf = (span: ReadableSpan) => span.links.map((link) => link.context.spanId);
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;

  it('writes routing and recording as children of the delivery span, the handler named', async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    const delivery = named('slack.delivery event');
    const route = named('slack.route event:app_mention');
    const record = named('slack.record');
    expect(parentOf(delivery)).toBeUndefined();
    expect(parentOf(route)).toBe(idOf(delivery));
    expect(parentOf(record)).toBe(idOf(delivery));
    expect(route.spanContext().traceId).toBe(delivery.spanContext().traceId);
    expect(route.attributes).toEqual({ 'slack.handler': 'event:app_mention', 'slack.effects': 1 });
    expect(record.attributes).toEqual({ 'slack.dedup': 'new', 'slack.delivery_row': 1 });
    expect(delivery.attributes).toMatchObject({ 'slack.handler': 'event:app_mention', 'slack.dedup': 'new' });
    // Each child lies within its delivery: routing ends before recording starts.
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(route.startTime)).toBeGreaterThanOrEqual(ms(delivery.startTime) - 0.01);
    expect(ms(route.endTime)).toBeLessThanOrEqual(ms(record.startTime) + 0.01);
    expect(ms(record.endTime)).toBeLessThanOrEqual(ms(delivery.endTime) + 0.01);
    await taken.after();
    await eventually(pipeline, () => fake.callsOf('chat.update').length === 1);
  });

  it('marks a redelivery’s recording as a duplicate', async () => {
    for (const _ of [1, 2]) await pipeline.take(fixtureEvent('event_app_mention'));
    const records = exporter.getFinishedSpans().filter((s) => s.name === 'slack.record');
    expect(records.map((s) => s.attributes['slack.dedup'])).toEqual(['new', 'duplicate']);
  });

  it('links effects, steps and tasks to the delivery or step they continue, with their type', async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(pipeline, () => fake.callsOf('chat.update').length === 1);
    await pipeline.idle();
    const delivery = named('slack.delivery event');
    const post = named('slack.effect chat.postMessage');
    const posted = named('slack.step posted');
    const summary = named('slack.effect task summary');
    const summarized = named('slack.step summarized');
    const update = named('slack.effect chat.update');

    expect(linksOf(post)).toEqual([idOf(delivery)]);
    expect(post.attributes).toMatchObject({
      'slack.effect_type': 'api',
      'slack.outcome': 'done',
      'slack.drain': false,
    });
    expect(linksOf(posted)).toEqual([idOf(delivery)]);
    expect(posted.attributes).toMatchObject({
      'slack.kind': 'step',
      'slack.name': 'posted',
      'slack.handler': 'step:posted',
      'slack.from_effect_id': post.attributes['slack.effect_id'],
      'slack.from_delivery_row': 1,
    });
    expect(linksOf(summary)).toEqual([idOf(posted)]);
    expect(summary.attributes).toMatchObject({ 'slack.effect_type': 'task', 'slack.outcome': 'done' });
    expect(linksOf(summarized)).toEqual([idOf(posted)]);
    expect(summarized.attributes['slack.from_effect_id']).toBe(summary.attributes['slack.effect_id']);
    expect(linksOf(update)).toEqual([idOf(summarized)]);
    expect(update.attributes['slack.effect_type']).toBe('api');
  });

  it('leaves out the children, effects, steps and tasks of a delivery its sampler dropped', async () => {
    const dropping = pipelineWith(sampled);
    const taken = await dropping.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
    await eventually(dropping, () => fake.callsOf('chat.update').length === 1);
    await dropping.idle();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);
  });
});
