import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { normalizeHttp } from '../../src/core/normalize.js';
import { getDelivery, nextReplayNumber, retryFailedSince } from '../../src/db/inspect.js';
import { keepsPayloads } from '../../src/inspector/index.js';
import { observe } from '../../src/inspector/observe.js';
import { Ring } from '../../src/inspector/ring.js';
import { createPipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixture } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { mention } from './stack.js';

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

function eventOf(n: number): NormalizedEvent {
  const inbound = normalizeHttp({
    body: JSON.stringify(mention(fixture('event_app_mention'), n, `hi xoxb-99-pasted ${n}`).payload),
    contentType: 'application/json',
    retryNum: 0,
  });
  if (!inbound.ok || inbound.value.type !== 'event') throw new Error('the fixture did not normalize');
  return inbound.value.event;
}

describe.each(testDatabases())('observe() on %s', (_name, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
    await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
  });
  afterAll(() => database.close());

  const build = (payloads: boolean, ring = new Ring()) => {
    const app = linkApp(quiet);
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl });
    const inner = createPipeline({ app, settings: app.settings({}), config, database, logger: quiet });
    return { ring, pipeline: observe(inner, ring, { payloads, logger: quiet }) };
  };
  const takeAll = async (pipeline: ReturnType<typeof build>['pipeline'], event: NormalizedEvent) => {
    const taken = await pipeline.take(event);
    if (taken.status === 'ack') await taken.after();
    await pipeline.idle();
    return taken;
  };

  it('annotates the recorded delivery after the ack, with the redacted event when payloads are kept', async () => {
    const { pipeline, ring } = build(true);
    await takeAll(pipeline, eventOf(1));
    const row = await getDelivery(database.db, { key: 'app_mention:T0001ACME:C0CHAN001:1764100000.000001' });
    expect({
      ...row,
      received_at: null,
      id: null,
      effects: row?.effects.map((e) => e.status),
      ack_ms: null,
    }).toEqual({
      id: null,
      dedup_key: 'app_mention:T0001ACME:C0CHAN001:1764100000.000001',
      kind: 'event',
      team_id: 'T0001ACME',
      received_at: null,
      name: 'app_mention',
      source: 'http',
      channel_id: 'C0CHAN001',
      user_id: 'U0USER001',
      handler: 'event:app_mention',
      ack_ms: null,
      event: expect.objectContaining({ deliveryId: 'app_mention:T0001ACME:C0CHAN001:1764100000.000001' }),
      effects: ['done'],
    });
    expect(row?.ack_ms).toBeGreaterThan(0);
    const stored = JSON.stringify(row?.event);
    expect(stored).toContain('"token":"[redacted]"');
    expect(stored).toContain('hi xoxb-… 1');
    expect(stored).not.toContain('xoxb-99-pasted');
    const [entry] = ring.list();
    expect([entry?.outcome, entry?.handler, entry?.effects]).toEqual([
      'new',
      'event:app_mention',
      [{ name: 'chat.postMessage', status: 'done', attempts: 1, ms: expect.any(Number), error: null }],
    ]);
  });

  it('keeps no event without payloads, and rings a redelivery as a duplicate that runs nothing', async () => {
    const { pipeline, ring } = build(false);
    await takeAll(pipeline, eventOf(2));
    await takeAll(pipeline, eventOf(2));
    const row = await getDelivery(database.db, { key: 'app_mention:T0001ACME:C0CHAN001:1764100000.000002' });
    expect([row?.handler, row?.event]).toEqual(['event:app_mention', null]);
    expect(ring.list().map((e) => [e.seq, e.outcome, e.effects.length])).toEqual([
      [2, 'duplicate', 0],
      [1, 'new', 1],
    ]);
  });

  it('keeps only the last `size` deliveries in the ring', async () => {
    const { pipeline, ring } = build(false, new Ring(2));
    for (const n of [3, 4, 5]) await takeAll(pipeline, eventOf(n));
    expect(ring.list().map((e) => e.seq)).toEqual([3, 2]);
  });

  it('numbers replays after the ones recorded, and retries nothing when nothing failed', async () => {
    const key = 'app_mention:T0001ACME:C0CHAN001:1764100000.000001';
    expect(await nextReplayNumber(database.db, key)).toBe(1);
    const { pipeline } = build(false);
    await takeAll(pipeline, { ...eventOf(1), deliveryId: `replay:${key}:1` });
    expect(await nextReplayNumber(database.db, key)).toBe(2);
    expect(await retryFailedSince(database.db, new Date(0), new Date())).toBe(0);
  });

  it('defaults DELIVERY_PAYLOADS to on for PGlite and off for PostgreSQL', () => {
    expect([keepsPayloads({}, 'pglite'), keepsPayloads({}, 'postgres')]).toEqual([true, false]);
    expect(keepsPayloads({ DELIVERY_PAYLOADS: true }, 'postgres')).toBe(true);
  });
});
