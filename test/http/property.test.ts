import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import type { Logger } from '../../src/core/context.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { createApp } from '../../src/http/app.js';
import { refusalLog } from '../../src/log/refusals.js';
import { createPipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { type Fixture, fixture, fixtureNames, httpForm } from '../helpers/fixtures.js';
import { quiet } from '../helpers/http-stack.js';
import { FC_SEED, freshFixture, type MutatedCase, mutatedFixture } from '../helpers/mutate.js';

/** Cases per kind of delivery; `FC_RUNS` raises it for a longer hunt. */
const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 200;

const fake = new FakeSlack();
let database: DatabaseHandle;
let app: ReturnType<typeof createApp>;
const deferred: Promise<unknown>[] = [];
/** Warnings the app logged (message and fields). */
const warnings: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
/** While set, recording a delivery fails as PostgreSQL fails a value it cannot store. */
let refuseRecords = false;

const logger: Logger = {
  ...quiet,
  warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields ?? {})}`),
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  await fake.start();
  database = await openDatabase('memory://');
  await migrate(database);
  await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-test-bot-token',
    SLACK_API_URL: fake.apiUrl,
    APP_URL: 'https://app.example.com',
    SLACK_RATE_LIMITS: 'off', // generated bursts into one channel: about refusals, not Slack's limits
  });
  const real = database;
  const refusing: DatabaseHandle = {
    ...real,
    raw: (query, params) =>
      refuseRecords && query.includes('insert into deliveries')
        ? real.raw('select $1::text::jsonb', ['"\\u0000"'])
        : real.raw(query, params),
  };
  const slackApp = linkApp(logger);
  const pipeline = createPipeline({
    app: slackApp,
    settings: slackApp.settings({}),
    config,
    database: refusing,
    logger,
  });
  app = createApp({
    services: async () => ({ pipeline: async () => pipeline, signingSecret: SIGNING_SECRET }),
    defer: (_c, work) => void deferred.push(work()),
    logger,
    refusals: refusalLog(logger, { windowMs: 0 }), // each refusal logged, not summarized per minute
    version: 'test',
  });
}, 120_000); // PGlite starts slowly on a busy machine
afterAll(async () => {
  await Promise.all(deferred);
  await database.close();
  await fake.stop();
  process.off('unhandledRejection', onUnhandled);
});

async function send(body: string, contentType: string): Promise<Response> {
  return app.request('/slack/events', {
    method: 'POST',
    body,
    headers: await slackHeaders(body, contentType),
  });
}

const deliver = (f: Fixture) => {
  const { body, contentType } = httpForm(f);
  return send(body, contentType);
};

/** Rows in the dedup table and the outbox. */
async function stored(): Promise<{ deliveries: number; outbox: number }> {
  const [row] = await database.raw(
    'select (select count(*) from deliveries)::int as deliveries, (select count(*) from outbox)::int as outbox',
    [],
  );
  return row as { deliveries: number; outbox: number };
}

/** How a mutated payload travels: as Slack encodes it, or under a content type that does not fit. */
const encodings = fc.constantFrom(
  'as Slack sends it',
  'as Slack sends it',
  'as Slack sends it',
  'swapped',
  'text/plain',
);

function encode(c: MutatedCase, encoding: string): { body: string; contentType: string } {
  const slack = httpForm({ name: c.name, kind: c.kind, payload: c.payload });
  if (encoding === 'as Slack sends it') return slack;
  if (encoding === 'text/plain') return { body: slack.body, contentType: 'text/plain' };
  return {
    body: slack.body,
    contentType:
      slack.contentType === 'application/json' ? 'application/x-www-form-urlencoded' : 'application/json',
  };
}

let fresh = 0;

const kinds = [
  ['events_api', 'JSON body'],
  ['slash_commands', 'command form'],
  ['interactive', 'payload= form'],
] as const;

describe.each(kinds)('signed, mutated %s deliveries (%s)', (kind) => {
  const names = fixtureNames().filter((name) => fixture(name).kind === kind);

  it('never answer 5xx, record nothing when refused, log a refusal once, and the next good delivery is answered', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFixture(names), encodings, async (c, encoding) => {
        const before = await stored();
        warnings.length = 0;
        const { body, contentType } = encode(c, encoding);
        const res = await send(body, contentType);
        const text = await res.text();
        expect([200, 400, 413, 415], `${res.status} ${text}`).toContain(res.status);
        if (res.status !== 200) {
          expect(await stored()).toEqual(before);
          expect(warnings, text).toHaveLength(1);
        }
        const good = await deliver(freshFixture(c.name, ++fresh));
        expect(good.status, await good.text()).toBe(200);
      }),
      { seed: FC_SEED, numRuns: RUNS },
    );
    await Promise.all(deferred);
    expect(unhandled).toEqual([]);
  });
});

describe('a signed delivery with a NUL in an id', () => {
  it('is a 400 naming the field, logged once at warn, and records nothing', async () => {
    const f = fixture('event_app_mention_enterprise');
    const before = await stored();
    warnings.length = 0;
    const res = await deliver({ ...f, payload: { ...f.payload, context_enterprise_id: 'E0GRID\u0000001' } });
    const message =
      'event callback: context_enterprise_id: not a Slack id (printable ASCII, no spaces, at most 128 characters)';
    expect([res.status, await res.json()]).toEqual([400, { error: 'invalid_payload', message }]);
    expect(warnings).toEqual([
      `request refused: 400 invalid_payload: ${message} {"path":"/slack/events","agent":"-"}`,
    ]);
    expect(await stored()).toEqual(before);
    expect((await deliver(freshFixture('event_app_mention_enterprise', ++fresh))).status).toBe(200);
  });

  it.each([
    ['a team id', 'command_link', { team_id: 'T0001\u0000ACME' }, 'slash command: team_id'],
    ['a trigger id', 'command_link', { trigger_id: `1000.${'9'.repeat(200)}` }, 'slash command: trigger_id'],
    ['an event id', 'event_app_mention', { event_id: 'Ev0 MENTION' }, 'event callback: event_id'],
  ])('refuses %s that is not Slack-shaped', async (_label, name, change, field) => {
    const f = fixture(name);
    const res = await deliver({ ...f, payload: { ...f.payload, ...change } });
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([
      400,
      `${field}: not a Slack id (printable ASCII, no spaces, at most 128 characters)`,
    ]);
  });
});

describe('a legitimate delivery whose effects hold a NUL', () => {
  it('is recorded with the NUL stripped and answered 200, not refused', async () => {
    const f = freshFixture('event_link_shared', ++fresh);
    const event = f.payload.event as Record<string, unknown>;
    const url = 'https://app.example.com/orgs/acme?from=\u0000chat';
    const res = await deliver({
      ...f,
      payload: { ...f.payload, event: { ...event, links: [{ domain: 'app.example.com', url }] } },
    });
    expect(res.status).toBe(200);
    await Promise.all(deferred);
    const rows = await database.raw(
      `select jsonb_object_keys(o.action->'args'->'unfurls') as url
       from outbox o join deliveries d on d.id = o.delivery_id where d.dedup_key = $1`,
      [`event:${f.payload.event_id}`],
    );
    expect(rows).toEqual([{ url: 'https://app.example.com/orgs/acme?from=chat' }]);
    await fake.waitFor((calls) => calls.some((call) => call.method === 'chat.unfurl'));
  });
});

describe('a delivery whose data the store refuses', () => {
  it('is a 400 invalid_payload, logged once at warn, with nothing recorded; the next one is recorded', async () => {
    const before = await stored();
    warnings.length = 0;
    refuseRecords = true;
    const res = await deliver(freshFixture('event_app_mention', ++fresh)).finally(() => {
      refuseRecords = false;
    });
    const message = 'the store refused the delivery: unsupported Unicode escape sequence';
    expect([res.status, await res.json()]).toEqual([400, { error: 'invalid_payload', message }]);
    expect(warnings).toEqual([
      `event app_mention refused: ${message} {"team":"T0001ACME","channel":"C0CHAN001","user":"U0USER001","via":"http"}`,
    ]);
    expect(await stored()).toEqual(before);
    expect((await deliver(freshFixture('event_app_mention', ++fresh))).status).toBe(200);
    expect(await stored()).toEqual({ deliveries: before.deliveries + 1, outbox: before.outbox + 1 });
  });
});
