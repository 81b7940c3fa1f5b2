/**
 * Streamed answers through the fake Slack, the AI SDK's scripted model answering: the time from a
 * mention taken by the pipeline to the first visible chunk, and for a 300-token answer the tokens
 * per second Slack receives, its calls and how long a token waits; beside a direct WebClient loop
 * (startStream, one appendStream per chunk, stopStream: the least a streamer costs).
 */
import os from 'node:os';
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { WebClient } from '@slack/web-api';
import { type LanguageModel, streamText } from 'ai';
import { MockLanguageModelV4, simulateReadableStream } from 'ai/test';
import postgres from 'postgres';
import * as z from 'zod';
import { answerParts } from '../src/ai/parts.js';
import { pieces, scriptedModel } from '../src/ai/scripted-model.js';
import { loadConfig } from '../src/config/settings.js';
import { defineApp } from '../src/core/app.js';
import type { AppTypes } from '../src/core/context.js';
import { normalizeHttp } from '../src/core/normalize.js';
import { Router } from '../src/core/router.js';
import { defineStream, type StreamPart, streamBuilder } from '../src/core/stream.js';
import type { DatabaseHandle, StoreHandle } from '../src/db/database.js';
import { openDatabase } from '../src/db/open.js';
import { createPipeline } from '../src/pipeline/build.js';
import { keepAliveFetch } from '../src/slack/keep-alive-fetch.js';
import { type FakeCall, FakeSlack } from '../src/testing/fake-slack.js';
import { median, mentionCallback, percentile } from './stats.js';

const FIRST_ANSWERS = 30;
const FIRST_TOKENS = 20;
const LONG_ANSWERS = 5;
const LONG_TOKENS = 300;
const WARM_UP = 3;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Time between two tokens of the model, in ms; null: all at once. */
type Pace = number | null;

/** `tokens` tokens of 4 characters: `w00 w01 …`. */
const answerText = (tokens: number) =>
  Array.from({ length: tokens }, (_, i) => `w${String(i % 100).padStart(2, '0')} `).join('');

/** The scripted model answering `tokens` tokens at `pace`. */
function modelFor(tokens: number, pace: Pace): LanguageModel {
  if (pace !== null)
    return scriptedModel({ answer: () => answerText(tokens), chunkDelayMs: pace, chunkChars: 4 });
  // The scripted model paces its pieces with a timer: all at once takes the SDK's mock itself.
  const usage = {
    inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: tokens, text: tokens, reasoning: 0 },
  };
  const chunks: LanguageModelV4StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...pieces(answerText(tokens), 4).map(
      (delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't', delta }),
    ),
    { type: 'text-end', id: 't' },
    { type: 'finish', usage, finishReason: { unified: 'stop', raw: undefined } },
  ];
  return new MockLanguageModelV4({
    doStream: async () => ({
      stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }),
    }),
  });
}

/** One answer's figures, in ms from its start (pipeline.take, or the direct loop's streamText). */
interface Trace {
  ackMs: number | null;
  firstVisibleMs: number;
  firstTokenMs: number;
  tokensPerSecond: number;
  calls: number;
  waitP50Ms: number;
  waitMaxMs: number;
  answerMs: number;
}

/** Characters of markdown a stream call carries. */
function charsOf(call: FakeCall): number {
  const { markdown_text: text, chunks } = call.args;
  let n = typeof text === 'string' ? text.length : 0;
  if (Array.isArray(chunks))
    for (const chunk of chunks)
      if (chunk?.type === 'markdown_text' && typeof chunk.text === 'string') n += chunk.text.length;
  return n;
}

/** Times each token as the model gives it and as the fake receives it, one answer at a time. */
function tracer(slack: FakeSlack) {
  type Mark = { at: number; end: number };
  let now = {
    t0: 0,
    ackMs: null as number | null,
    emitted: [] as Mark[],
    visible: [] as Mark[],
    calls: 0,
    stoppedAt: 0,
  };
  const mark = (list: Mark[], chars: number) =>
    list.push({ at: performance.now(), end: (list.at(-1)?.end ?? 0) + chars });
  for (const method of ['chat.startStream', 'chat.appendStream', 'chat.stopStream'])
    slack.on(method, (call) => {
      now.calls++;
      const chars = charsOf(call);
      if (chars > 0) mark(now.visible, chars);
      if (method === 'chat.stopStream') now.stoppedAt = performance.now();
      return undefined;
    });
  return {
    begin() {
      now = { t0: performance.now(), ackMs: null, emitted: [], visible: [], calls: 0, stoppedAt: 0 };
      return now;
    },
    /** The model gave `text`. */
    emitted: (text: string) => mark(now.emitted, text.length),
    /** `parts` read as fast as they come (as a model's tokens arrive whatever the reader does), each timed. */
    async *eager(parts: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
      const queue: StreamPart[] = [];
      let done = false;
      let failure: unknown = null;
      let wake = () => {};
      void (async () => {
        try {
          for await (const part of parts) {
            if (typeof part === 'string') mark(now.emitted, part.length);
            queue.push(part);
            wake();
          }
        } catch (error) {
          failure = error;
        } finally {
          done = true;
          wake();
        }
      })();
      for (;;) {
        const part = queue.shift();
        if (part !== undefined) yield part;
        else if (failure) throw failure;
        else if (done) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    /** The answer's figures; throws when the fake did not receive the whole answer. */
    end(tokens: number): Trace {
      const { t0, emitted, visible } = now;
      const last = visible.at(-1);
      const first = emitted[0];
      if (!first || !last || last.end !== tokens * 4 || !now.stoppedAt)
        throw new Error(`the fake received ${last?.end ?? 0} of ${tokens * 4} characters`);
      const waits: number[] = [];
      let v = 0;
      for (const e of emitted) {
        while ((visible[v]?.end ?? Number.POSITIVE_INFINITY) < e.end) v++;
        waits.push((visible[v]?.at ?? last.at) - e.at);
      }
      return {
        ackMs: now.ackMs,
        firstVisibleMs: (visible[0]?.at ?? last.at) - t0,
        firstTokenMs: first.at - t0,
        tokensPerSecond: tokens / ((last.at - first.at) / 1000),
        calls: now.calls,
        waitP50Ms: median(waits),
        waitMaxMs: Math.max(...waits),
        answerMs: now.stoppedAt - t0,
      };
    },
  };
}

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

/** What the next answer is: its tokens and their pace (the handler's input stays the question). */
const plan = { tokens: FIRST_TOKENS, pace: 5 as Pace };
const fake = new FakeSlack();
const trace = tracer(fake);

const tasks = {
  answer: defineStream({
    input: z.object({ question: z.string() }),
    async *run({ question }, { signal }) {
      const result = streamText({
        model: modelFor(plan.tokens, plan.pace),
        prompt: question,
        abortSignal: signal,
      });
      for await (const part of answerParts(result.fullStream)) {
        if (typeof part === 'string') trace.emitted(part);
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
    {
      channel: event.payload.channel,
      thread_ts: event.payload.ts,
      recipient_user_id: 'U0BENCH01',
      recipient_team_id: 'T0BENCH01',
    },
  ),
]);
const app = defineApp<Flow, StoreHandle>({
  router,
  settings: () => ({}),
  lookups: () => ({}),
  writes: { schema: z.object({ type: z.literal('store'), op: z.literal('never') }), apply: async () => {} },
  tasks: () => tasks,
});

/** A streamer under test: answers once, as `plan` says, into the fake. */
interface Streamer {
  label: string;
  answer(): Promise<Trace>;
  close(): Promise<void>;
}

function pipelineStreamer(label: string, database: DatabaseHandle): Streamer {
  const pipeline = createPipeline({
    app,
    settings: {},
    config: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_API_URL: fake.apiUrl }),
    database,
    logger: quiet,
    owner: `bench-stream-${process.pid}`,
    slackFetch: keepAliveFetch(),
  });
  const run = `${process.pid}${Date.now() % 100_000}`;
  let sent = 0; // each mention a new delivery
  return {
    label,
    async answer() {
      const i = sent++;
      const inbound = normalizeHttp({
        body: JSON.stringify(mentionCallback(i, run)),
        contentType: 'application/json',
      });
      if (!inbound.ok || inbound.value.type !== 'event') throw new Error('the mention did not normalize');
      const current = trace.begin();
      const taken = await pipeline.take(inbound.value.event);
      current.ackMs = performance.now() - current.t0;
      if (taken.status !== 'ack') throw new Error(`the mention was ${taken.status}`);
      await taken.after();
      await pipeline.idle();
      return trace.end(plan.tokens);
    },
    async close() {
      await pipeline.idle();
      await database.close();
    },
  };
}

function directStreamer(): Streamer {
  const client = new WebClient('xoxb-bench', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  const to = { channel: 'C0BENCH01', recipient_user_id: 'U0BENCH01', recipient_team_id: 'T0BENCH01' };
  return {
    label: 'direct loop (WebClient)',
    async answer() {
      trace.begin();
      const result = streamText({ model: modelFor(plan.tokens, plan.pace), prompt: 'bench' });
      let ts: string | undefined;
      // Read eagerly, as a model's tokens arrive whatever the loop is doing; one call per chunk.
      for await (const part of trace.eager(answerParts(result.fullStream))) {
        const markdown_text = typeof part === 'string' ? part : '';
        if (!ts)
          ts = (await client.chat.startStream({ ...to, thread_ts: '1764100000.000100', markdown_text })).ts;
        else await client.chat.appendStream({ channel: to.channel, ts, markdown_text });
      }
      if (ts) await client.chat.stopStream({ channel: to.channel, ts });
      return trace.end(plan.tokens);
    },
    close: async () => {},
  };
}

async function answers(streamer: Streamer, n: number): Promise<Trace[]> {
  for (let i = 0; i < WARM_UP; i++) await streamer.answer();
  const out: Trace[] = [];
  for (let i = 0; i < n; i++) out.push(await streamer.answer());
  return out;
}

const cell = (value: string, width: number) => value.padStart(width);
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(n < 100 ? 1 : 0)}` : '–');

/** The pipeline on PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL names a server. */
async function postgresStreamer(): Promise<Streamer | null> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl) return null;
  const name = `router_bench_stream_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const streamer = pipelineStreamer(
    'pipeline, postgres',
    await openDatabase(url.toString(), { migrate: true }),
  );
  return {
    ...streamer,
    async close() {
      await streamer.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** Runs the stream case. */
export async function benchStream(): Promise<void> {
  await fake.start();
  const streamers = [
    pipelineStreamer('pipeline, pglite (memory)', await openDatabase('memory://', { migrate: true })),
    ...[await postgresStreamer()].filter((s) => s !== null),
    directStreamer(),
  ];
  const width = Math.max(...streamers.map((s) => s.label.length)) + 2;
  console.log(
    `stream: a mention → a streamed answer through the fake Slack (${fake.apiUrl}), the scripted model (AI SDK) answering; load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `  first visible chunk (chat.startStream with text), ${FIRST_ANSWERS} answers of ${FIRST_TOKENS} tokens, a token every 5 ms; ms from pipeline.take (direct: from streamText)`,
  );
  console.log(
    `  ${'streamer'.padEnd(width)}${cell('first p50', 10)}${cell('p95', 8)}${cell('model 1st p50', 15)}${cell('ack p50', 9)}`,
  );
  plan.tokens = FIRST_TOKENS;
  plan.pace = 5;
  for (const streamer of streamers) {
    const traces = await answers(streamer, FIRST_ANSWERS);
    const first = traces.map((t) => t.firstVisibleMs);
    const acks = traces.map((t) => t.ackMs).filter((n) => n !== null);
    console.log(
      `  ${streamer.label.padEnd(width)}${cell(ms(median(first)), 10)}${cell(ms(percentile(first, 95)), 8)}` +
        `${cell(ms(median(traces.map((t) => t.firstTokenMs))), 15)}${cell(acks.length ? ms(median(acks)) : '–', 9)}`,
    );
  }
  console.log(
    `  ${LONG_TOKENS} tokens of 4 characters, medians of ${LONG_ANSWERS} answers; wait: a token from the model to the fake`,
  );
  console.log(
    `  ${'pace'.padEnd(13)}${'streamer'.padEnd(width)}${cell('tokens/s', 9)}${cell('calls', 7)}${cell('wait p50', 10)}${cell('max', 8)}${cell('answer ms', 11)}`,
  );
  for (const pace of [5, null] satisfies Pace[]) {
    plan.tokens = LONG_TOKENS;
    plan.pace = pace;
    for (const streamer of streamers) {
      const traces = await answers(streamer, LONG_ANSWERS);
      const m = (f: (t: Trace) => number) => median(traces.map(f));
      console.log(
        `  ${(pace === null ? 'all at once' : `${pace} ms/token`).padEnd(13)}${streamer.label.padEnd(width)}` +
          `${cell(Math.round(m((t) => t.tokensPerSecond)).toLocaleString('en-US'), 9)}${cell(String(m((t) => t.calls)), 7)}` +
          `${cell(ms(m((t) => t.waitP50Ms)), 10)}${cell(ms(m((t) => t.waitMaxMs)), 8)}${cell(ms(m((t) => t.answerMs)), 11)}`,
      );
    }
  }
  console.log(
    '  pipeline: recorded, acked, then streamed by the executor (chunks coalesced: a call at most every 600 ms, Slack’s Tier 4);' +
      ' direct loop: no database, one call per chunk (past Slack’s rate limits at these paces)',
  );
  for (const streamer of streamers) await streamer.close();
  await fake.stop();
}
