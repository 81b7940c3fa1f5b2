/**
 * The reference app's conversation: a mention in a linked channel answers "Looking up…" at once, a
 * task reads the organization's summary from the product's API, and a step updates that message.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { FakeProduct } from '../../src/app/fake-product.js';
import { linkApp } from '../../src/app/index.js';
import { channelLinks, organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import { chainLines, deliveryChain, stepOrigin } from '../../src/db/chain.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { eventually } from '../helpers/eventually.js';
import { quiet } from '../helpers/http-stack.js';

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

describe.each(testDatabases())('a mention with the product API on %s', (_name, open) => {
  let database: TestDatabase;
  let pipeline: Pipeline;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.raw(
      'truncate deliveries, outbox, channel_links, organizations restart identity cascade',
      [],
    );
    const [org] = await database.db
      .insert(organizations)
      .values({ slug: 'acme', name: 'Acme Corp' })
      .returning({ id: organizations.id });
    await database.db.insert(channelLinks).values({
      teamId: 'T0001ACME',
      channelId: 'C0CHAN001',
      organizationId: org?.id ?? 0,
      linkedBy: 'U0USER001',
    });
    const app = linkApp(quiet);
    pipeline = createPipeline({
      app,
      settings: app.settings({ APP_URL: 'https://app.example.com', PRODUCT_API_URL: product.url }),
      config: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-flow', SLACK_API_URL: fake.apiUrl }),
      database,
      logger: quiet,
      executor: { baseDelayMs: 20, maxAttempts: 3 },
    });
  });
  afterEach(() => {
    fake.reset();
    product.requests.length = 0;
  });

  const mention = async () => {
    const taken = await pipeline.take(fixtureEvent('event_app_mention'));
    if (taken.status !== 'ack') throw new Error(taken.status);
    await taken.after();
  };
  const posts = () => fake.callsOf('chat.postMessage').map((c) => [c.args.thread_ts, c.args.text]);
  const updates = () => fake.callsOf('chat.update').map((c) => c.args.text);

  it('answers at once in the thread, then updates that message with the summary', async () => {
    product.answer('acme', { summary: '12 projects, 3 open incidents' });
    await mention();
    expect(posts()).toEqual([
      ['1764100000.000100', 'Looking up <https://app.example.com/orgs/acme|Acme Corp>…'],
    ]);
    await eventually(pipeline, () => updates().length === 1);
    expect(updates()).toEqual([
      'This channel is linked to <https://app.example.com/orgs/acme|Acme Corp>: 12 projects, 3 open incidents',
    ]);
    const [update] = fake.callsOf('chat.update');
    const [posted] = await database.raw(
      "select result->>'ts' as ts, result->>'channel' as channel from outbox where action->>'method' = 'chat.postMessage'",
      [],
    );
    expect(update?.args).toMatchObject({
      channel: 'C0CHAN001',
      ...z.object({ ts: z.string() }).parse(posted),
    });
    expect(product.requests).toEqual([{ slug: 'acme', idempotencyKey: expect.stringMatching(/^task:\d+$/) }]);
  });

  it('is one conversation in the store: the chain from the mention to the update, each step linked back', async () => {
    product.answer('acme', { summary: 'ok' });
    await mention();
    await eventually(pipeline, () => updates().length === 1);
    const [root] = z
      .array(z.object({ id: z.coerce.number() }))
      .parse(await database.raw("select id from deliveries where kind = 'event'", []));
    const chain = await deliveryChain(database.db, root?.id ?? 0);
    expect(chain ? chainLines(chain) : []).toEqual([
      expect.stringMatching(
        /^chat\.postMessage done → step org-reply-posted \(delivery \d+, step:org-reply-posted\)$/,
      ),
      expect.stringMatching(
        /^ {2}task orgSummary done → step org-summary-ready \(delivery \d+, step:org-summary-ready\)$/,
      ),
      '    chat.update done',
    ]);
    const ready = chain?.effects[0]?.step?.effects[0]?.step;
    expect(await stepOrigin(database.db, ready?.dedup_key ?? '')).toMatchObject({
      kind: 'step',
      name: 'org-reply-posted',
      position: 0,
    });
    expect(await stepOrigin(database.db, 'app_mention:T0001ACME:C0CHAN001:1.2')).toBeNull();
  });

  it('tries the product API again after a 503, with the same idempotency key', async () => {
    product.answer('acme', { status: 503 }, { summary: 'back' });
    await mention();
    await eventually(pipeline, () => product.requests.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await pipeline.drain();
    await eventually(pipeline, () => updates().length === 1);
    expect(updates()[0]).toMatch(/: back$/);
    expect(new Set(product.requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(product.requests).toHaveLength(2);
  });

  it('says so in the message when the product API fails for good', async () => {
    product.answer('acme', { status: 404 });
    await mention();
    await eventually(pipeline, () => updates().length === 1);
    expect(updates()).toEqual([
      'This channel is linked to <https://app.example.com/orgs/acme|Acme Corp>. Its summary could not be read (the product API answered 404).',
    ]);
  });
});
