import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import { api, respond } from '../../src/core/action.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { normalizeHttp } from '../../src/core/normalize.js';
import { type DeliveryRow, getDelivery, nextReplayNumber, retryFailedSince } from '../../src/db/inspect.js';
import { DeliveryPage } from '../../src/inspector/delivery-page.js';
import { keepsPayloads } from '../../src/inspector/index.js';
import { Rows } from '../../src/inspector/list-page.js';
import { observe } from '../../src/inspector/observe.js';
import { Ring, redactEvent } from '../../src/inspector/ring.js';
import { type Inspector, listItems } from '../../src/inspector/views.js';
import { redactValue } from '../../src/log/redact.js';
import { createPipeline } from '../../src/pipeline/build.js';
import type { Taken } from '../../src/pipeline/take-delivery.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { eventOf as fixtureEvent } from '../../src/testing/run-handler.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixture } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { mention } from './stack.js';

// Counted, to show when redaction happens: when a page reads an entry, not when a delivery is taken.
const redactions = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../src/log/redact.js', async (original) => {
  const actual = await original<typeof import('../../src/log/redact.js')>();
  return {
    ...actual,
    redactValue: (...args: Parameters<typeof actual.redactValue>) => {
      redactions.n++;
      return actual.redactValue(...args);
    },
  };
});

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

describe('redactEvent', () => {
  it('redacts as redactValue does, an Events API payload once with its body', () => {
    const mention = eventOf(1);
    const redacted = redactEvent(mention);
    expect(redacted).toEqual(redactValue(mention));
    expect(redacted.payload).toBe((redacted.body as { event: unknown }).event);
    expect(redactEvent(leakyCommand())).toEqual(redactValue(leakyCommand()));
  });
});

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
      streams: row?.streams?.length ?? 0,
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
      streams: 0,
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
    expect([ring.get(1), ring.get(2)?.seq, ring.get(3)?.seq, ring.get(4)]).toEqual([
      undefined,
      2,
      3,
      undefined,
    ]);
  });

  it('redacts nothing while it takes deliveries, only when an entry is read', async () => {
    const { pipeline, ring } = build(false);
    const before = redactions.n;
    for (const n of [6, 7, 8]) await takeAll(pipeline, eventOf(n));
    expect(redactions.n).toBe(before);
    const [entry] = ring.list();
    expect(JSON.stringify(entry?.event)).toContain('hi xoxb-… 8');
    expect(redactions.n).toBeGreaterThan(before);
  });

  it('numbers replays after the ones recorded, and retries nothing when nothing failed', async () => {
    const key = 'app_mention:T0001ACME:C0CHAN001:1764100000.000001';
    expect(await nextReplayNumber(database.db, key)).toBe(1);
    const { pipeline } = build(false);
    await takeAll(pipeline, { ...eventOf(1), deliveryId: `replay:${key}:1` });
    expect(await nextReplayNumber(database.db, key)).toBe(2);
    expect(await retryFailedSince(database.db, new Date(0), new Date())).toBe(0);
  });

  it('keeps the event as the pipeline had it, and shows nothing of a token or a response_url on a page', async () => {
    const { pipeline, ring } = build(false);
    const command = leakyCommand();
    const entry = ring.add(command, leakyTaken(), 1.5);
    ring.ran(entry, [
      {
        id: 1,
        effect: 'respond',
        status: 'failed',
        error: `POST ${HOOK} with ${TOKEN}`,
        ms: 3,
        delivery: 1,
        attempts: 1,
      },
    ]);
    // A reference, not a copy: the executor and a replay need the values as Slack sent them.
    expect([command.responseUrl, JSON.stringify(command).includes(TOKEN)]).toEqual([HOOK, true]);
    const inspector: Inspector = {
      ring,
      pipeline: async () => pipeline,
      access: { production: false },
      mode: 'HTTP',
      version: 'test',
    };
    const page = await html(
      DeliveryPage({ base: '/_inspect', facts: FACTS, ref: `r${entry.seq}`, entry, row: null }),
    );
    const shown = {
      page,
      rows: await html(Rows({ items: (await listItems(inspector, { page: 0 })).items, base: '/_inspect' })),
      found: await html(
        Rows({ items: (await listItems(inspector, { page: 0, text: 'paris' })).items, base: '' }),
      ),
      entry: JSON.stringify([entry.event, entry.ackBody, entry.actions, entry.effects, entry.error]),
    };
    expect(page).toContain('command:/weather');
    expect(shown.found).toContain(`r${entry.seq}`);
    expect(leaks(shown)).toEqual([]);
  });

  it('shows nothing of a token or a response_url from a recorded row either', async () => {
    const row: DeliveryRow = {
      ...{ id: 7, dedup_key: 'k', kind: 'command', team_id: 'T0001ACME', received_at: new Date(0) },
      ...{ name: '/weather', source: 'http', channel_id: null, user_id: null, handler: null, ack_ms: 2 },
      event: JSON.parse(JSON.stringify(leakyCommand())),
      effects: leakyTaken().effects.map((action, position) => ({
        ...{ id: position + 1, delivery_id: 7, position, action, status: 'failed', attempts: 1 },
        ...{ last_error: `POST ${HOOK} with ${TOKEN}`, next_attempt_at: new Date(0), manual_retries: 0 },
        updated_at: new Date(0),
      })),
    };
    const page = await html(DeliveryPage({ base: '/_inspect', facts: FACTS, ref: 'd7', entry: null, row }));
    expect(page).toContain('Replay dry-run');
    expect(leaks({ page })).toEqual([]);
  });

  it('defaults DELIVERY_PAYLOADS to on for PGlite and off for PostgreSQL', () => {
    expect([keepsPayloads({}, 'pglite'), keepsPayloads({}, 'postgres')]).toEqual([true, false]);
    expect(keepsPayloads({ DELIVERY_PAYLOADS: true }, 'postgres')).toBe(true);
  });
});

/** A bot token pasted into a message, and a response_url: neither may be shown. */
const TOKEN = 'xoxb-99-leaked-secret';
const HOOK = 'https://hooks.slack.com/commands/T0001ACME/1000/fakeresponse';
/** A response_url that does not look like one: known only by where it sits (a respond effect's `url`). */
const LOCAL_HOOK = 'http://127.0.0.1:9/respond/leaked-secret';
const FACTS = {
  mode: 'HTTP',
  connection: null,
  database: 'test',
  version: 'test',
  lastHour: {},
  effectsLastHour: {},
};

function leakyCommand(): NormalizedEvent {
  const base = fixture('command_other');
  return fixtureEvent({ ...base, payload: { ...base.payload, text: `paris ${TOKEN}` } });
}

function leakyTaken(): Extract<Taken, { status: 'ack' }> {
  return {
    status: 'ack',
    body: { response_type: 'ephemeral', text: `ok ${TOKEN}, see ${HOOK}` },
    handler: 'command:/weather',
    recorded: 'new',
    effects: [
      respond(LOCAL_HOOK, { text: `posted with ${TOKEN}` }),
      api('chat.postMessage', { channel: 'C0CHAN001', text: TOKEN, token: TOKEN }),
    ],
    error: `the handler said ${TOKEN}`,
    after: async () => [],
  };
}

/** A page (hono/jsx) as the HTML it sends. */
async function html(node: { toString(): string | Promise<string> }): Promise<string> {
  return String(await node.toString());
}

/** Which of `shown` hold a credential: the token, the verification token, a response_url. */
function leaks(shown: Record<string, string>): string[] {
  const secrets = ['leaked-secret', 'fake-verification-token', '1000/fakeresponse', LOCAL_HOOK];
  return Object.entries(shown).flatMap(([where, text]) =>
    secrets.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret}`),
  );
}
