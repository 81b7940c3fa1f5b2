import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations } from '../../src/app/store/schema.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture, fixtureNames, socketForm } from '../helpers/fixtures.js';
import { quiet } from '../helpers/http-stack.js';
import { FC_SEED, freshFixture, mutatedFixture } from '../helpers/mutate.js';
import { socketStack } from '../helpers/socket-stack.js';

/** Cases; `FC_RUNS` raises it for a longer hunt. */
const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 200;

type SocketEnvelope = Record<string, unknown> & { envelope_id: string };

const fake = new FakeSlack();
let stack: Awaited<ReturnType<typeof socketStack>>;
/** Warnings the shim logged. */
const warnings: string[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let fresh = 0;
/** While set, recording a delivery fails as PostgreSQL fails a value it cannot store. */
let refuseRecords = false;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  await fake.start();
  const real = await openDatabase('memory://');
  await migrate(real);
  await real.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
  const database: DatabaseHandle = {
    ...real,
    raw: (query, params) =>
      refuseRecords && query.includes('insert into deliveries')
        ? real.raw('select $1::text::jsonb', ['"\\u0000"'])
        : real.raw(query, params),
  };
  stack = await socketStack(fake, {
    database,
    logger: {
      ...quiet,
      warn: (...parts: unknown[]) =>
        void warnings.push(parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')),
    },
  });
}, 120_000); // PGlite starts slowly on a busy machine
afterAll(async () => {
  await stack.shim.stop();
  await stack.database.close();
  await fake.stop();
  process.off('unhandledRejection', onUnhandled);
});

async function deliveries(): Promise<number> {
  const [row] = await stack.database.raw('select count(*)::int as n from deliveries', []);
  return (row as { n: number }).n;
}

/**
 * A mention no one has seen, sent as Slack would, in a channel of its own (Slack's posting budget,
 * about 1 a second per channel, would pace replies in one); resolves once it is acked and its reply posted.
 */
async function goodMention(): Promise<void> {
  const id = `env-good-${++fresh}`;
  const ts = `1764300000.${String(fresh).padStart(6, '0')}`;
  const mention = freshFixture('event_app_mention', fresh);
  Reflect.set(mention.payload.event as object, 'channel', `C0GOOD${String(fresh).padStart(5, '0')}`);
  fake.sendEnvelope(socketForm(mention, { envelopeId: id }) as SocketEnvelope);
  await fake.waitFor(
    (calls) =>
      fake.envelopes.get(id)?.ack !== undefined &&
      calls.some((call) => call.method === 'chat.postMessage' && call.args.thread_ts === ts),
  );
}

describe('the Socket Mode shim, sent malformed envelopes', () => {
  it('acks the NUL-in-an-id envelope, drops it with one line naming the field, and records nothing', async () => {
    const f = fixture('event_app_mention_enterprise');
    const before = await deliveries();
    warnings.length = 0;
    fake.reset();
    fake.sendEnvelope(
      socketForm(
        { ...f, payload: { ...f.payload, context_enterprise_id: 'E0GRID\u0000001' } },
        { envelopeId: 'env-nul' },
      ) as SocketEnvelope,
    );
    await fake.waitFor(() => fake.envelopes.get('env-nul')?.ack !== undefined);
    await goodMention();
    expect(fake.envelopes.get('env-nul')).toMatchObject({ deliveries: 1, ack: { payload: {} } });
    expect(warnings).toEqual([
      'envelope ignored: event callback: context_enterprise_id: not a Slack id (printable ASCII, no spaces, at most 128 characters) {"envelope":"env-nul"}',
    ]);
    expect(await deliveries()).toBe(before + 1); // the good mention only
    expect([fake.connections, fake.openSockets().length]).toEqual([1, 1]);
  });

  it('acks and drops a delivery whose data the store refuses, with one line, recording nothing', async () => {
    fake.reset();
    warnings.length = 0;
    const before = await deliveries();
    refuseRecords = true;
    fake.sendEnvelope(
      socketForm(freshFixture('event_app_mention', ++fresh), { envelopeId: 'env-refused' }) as SocketEnvelope,
    );
    await fake
      .waitFor(() => fake.envelopes.get('env-refused')?.ack !== undefined)
      .finally(() => {
        refuseRecords = false;
      });
    expect(fake.envelopes.get('env-refused')).toMatchObject({ deliveries: 1, ack: { payload: {} } });
    expect(warnings).toEqual([
      'event app_mention refused: the store refused the delivery: unsupported Unicode escape sequence ' +
        '{"team":"T0001ACME","channel":"C0CHAN001","user":"U0USER001","via":"socket"}',
    ]);
    expect(await deliveries()).toBe(before);
    await goodMention();
    expect(await deliveries()).toBe(before + 1);
    // Only the good mention's reply: the refused one ran nothing.
    expect(fake.callsOf('chat.postMessage').map((call) => call.args.thread_ts)).toEqual([
      `1764300000.${String(fresh).padStart(6, '0')}`,
    ]);
  });

  it.each([
    ['an events_api frame without an id or a payload', { type: 'events_api' }],
    ['an events_api frame without an id whose payload has no event', { type: 'events_api', payload: {} }],
    ['a frame of type error', { type: 'error' }],
    ['an envelope id that is a number', { envelope_id: 42, type: 'slash_commands', payload: {} }],
  ])(
    'ignores %s with one line, keeps its connection and answers the next delivery',
    async (_label, frame: Record<string, unknown>) => {
      fake.reset();
      warnings.length = 0;
      for (const socket of fake.openSockets()) socket.send(JSON.stringify(frame));
      await goodMention();
      expect(warnings).toEqual([
        'envelope ignored: envelope: envelope_id: Invalid input: expected string, received ' +
          `${'envelope_id' in frame ? 'number' : 'undefined'} {"envelope":"${frame.envelope_id}"}`,
      ]);
      expect(unhandled).toEqual([]);
      expect([fake.connections, fake.openSockets().length]).toEqual([1, 1]);
    },
  );

  it('acks every envelope it can name, logs a refusal once, records nothing refused, and keeps its connection', async () => {
    const wrap = (f: Parameters<typeof socketForm>[0]) => socketForm(f, { envelopeId: `env-${f.name}` });
    await fc.assert(
      fc.asyncProperty(mutatedFixture(fixtureNames(), wrap), async (c) => {
        fake.reset();
        warnings.length = 0;
        const before = await deliveries();
        const envelope = c.payload;
        const id = envelope.envelope_id;
        fake.sendEnvelope(envelope as SocketEnvelope);
        // An envelope whose id is not a Slack id cannot be acked (nothing names it): only the others are waited for.
        if (typeof id === 'string' && /^[\x21-\x7e]{1,128}$/.test(id))
          await fake.waitFor(() => fake.envelopes.get(id)?.ack !== undefined);
        await goodMention();
        const refused = warnings.filter((line) => !line.startsWith('  ↳'));
        expect(refused.length, refused.join('\n')).toBeLessThanOrEqual(1);
        const after = await deliveries();
        // The good mention is recorded; a refused envelope adds nothing.
        if (refused.length === 1) expect(after).toBe(before + 1);
        expect([fake.connections, fake.openSockets().length]).toEqual([1, 1]);
        expect(unhandled).toEqual([]);
      }),
      { seed: FC_SEED, numRuns: RUNS },
    );
  }, 90_000); // 200 cases, each a reply awaited: ~10 s alone, several times that in the whole suite
});
