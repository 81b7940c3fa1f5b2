// One-off: docs/inspector-stream.png (not committed).
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { stepCountIs, streamText, tool } from 'ai';
import { Hono } from 'hono';
import { chromium } from 'playwright-core';
import * as z from 'zod';
import { answerParts } from './src/ai/parts.js';
import { scriptedModel } from './src/ai/scripted-model.js';
import { loadConfig } from './src/config/settings.js';
import { defineApp } from './src/core/app.js';
import type { AppTypes } from './src/core/context.js';
import { Router } from './src/core/router.js';
import { defineStream, streamBuilder } from './src/core/stream.js';
import type { StoreHandle } from './src/db/database.js';
import { migrate, openDatabase } from './src/db/open.js';
import { inspectorRoutes, withInspector } from './src/inspector/index.js';
import { createPipeline } from './src/pipeline/build.js';
import { FakeSlack } from './src/testing/fake-slack.js';
import { eventOf } from './src/testing/run-handler.js';
import { fixture } from './test/helpers/fixtures.js';

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const ANSWER =
  '*Acme Corp* (`acme`) is linked to this channel.\n\n' +
  '• Status: all green for the last 30 days; no open incidents.\n' +
  '• Plan: Enterprise, 412 seats, renewed in March.\n' +
  '• Usage: 18,240 API calls yesterday, up 6% on the week; the busiest hour was 14:00 UTC.\n' +
  '• Owners: Dana Whitfield (admin) and Lee Okafor (billing).\n\n' +
  'Two things to look at: the seat count is 97% used, so a renewal conversation may come early; ' +
  'and three webhooks failed on Tuesday (HTTP 503 from their side), all retried and delivered since. ' +
  'Ask me about another organization by its slug, or about a date range for the usage figures.';

const tasks = {
  answer: defineStream({
    input: z.object({ question: z.string() }),
    async *run({ question }, { signal }) {
      const result = streamText({
        model: scriptedModel({
          tool: { name: 'orgSummary', input: { slug: 'acme' } },
          answer: () => ANSWER,
          chunkDelayMs: 40,
        }),
        prompt: question,
        tools: {
          orgSummary: tool({
            inputSchema: z.object({ slug: z.string() }),
            execute: async () => ({ name: 'Acme Corp', summary: 'all green' }),
          }),
        },
        stopWhen: stepCountIs(3),
        abortSignal: signal,
      });
      yield* answerParts(result.fullStream, { orgSummary: 'Reading the organization from the product' });
    },
  }),
};
const stream = streamBuilder<typeof tasks>();
const router = new Router<Flow>(quiet).on('event', 'app_mention', (event) => [
  stream(
    'answer',
    { question: event.payload.text },
    { channel: event.payload.channel, thread_ts: event.payload.ts, recipient_user_id: 'U0USER001' },
    { blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Was this helpful?' }] }] },
  ),
]);
const app = defineApp<Flow, StoreHandle>({
  router,
  settings: () => ({}),
  lookups: () => ({}),
  writes: { schema: z.object({ type: z.literal('store'), op: z.literal('never') }), apply: async () => {} },
  tasks: () => tasks,
});

const fake = await new FakeSlack().start();
const database = await openDatabase('memory://');
await migrate(database);
const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-shot', SLACK_API_URL: fake.apiUrl });
const { pipeline, inspector } = withInspector(
  createPipeline({ app, settings: {}, config, database, logger: quiet }),
  { app, settings: {}, config, logger: quiet, mode: 'HTTP', version: '0.9.0', access: { production: false } },
);
const mention = fixture('event_app_mention');
const taken = await pipeline.take(eventOf(mention));
if (taken.status !== 'ack') throw new Error(taken.status);
await taken.after();
while (!fake.streams().some((s) => s.stopped)) await new Promise((r) => setTimeout(r, 50));
await pipeline.idle();

const web = new Hono().route('/_inspect', inspectorRoutes(async () => inspector));
const server = serve({ fetch: web.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(`http://127.0.0.1:${port}/_inspect/deliveries/r1`);
const streams = await page.locator('[data-testid=streams]').boundingBox();
if (!streams) throw new Error('no stream section');
await page.screenshot({
  path: process.argv[2] ?? 'docs/inspector-stream.png',
  fullPage: true,
  clip: { x: 0, y: 0, width: 1280, height: Math.ceil(streams.y + streams.height + 16) },
});
console.log(JSON.stringify(fake.streams().map((s) => ({ text: s.text.length, chunks: s.chunks.length }))));
await browser.close();
server.close();
await database.close();
await fake.stop();
