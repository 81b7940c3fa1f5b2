import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbLookups } from '../../src/app/store/lookups.js';
import { api, type Effect } from '../../src/core/action.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { DeliveryRecorder, recordDelivery } from '../../src/db/record.js';
import { classifyDatabaseError, sqlState, storableJson, storableText } from '../../src/db/sqlstate.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';

/** The error `promise` rejects with; fails the test if it resolves. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the statement to fail');
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const post = (text: string): Effect => api('chat.postMessage', { channel: 'C0CHAN001', text });

describe.each(testDatabases())('classifyDatabaseError on %s', (_driver, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
    await db.raw('create table probe (word text not null unique, doc jsonb)', []);
  });
  afterAll(() => db.close());

  it.each([
    ['a NUL in a text parameter', 'insert into probe (word) values ($1)', ['a\u0000b'], '22021'],
    ['a \\u0000 escape cast to jsonb', 'select $1::text::jsonb', ['["a\\u0000b"]'], '22P05'],
    ['a lone surrogate cast to jsonb', 'select $1::text::jsonb', ['["a\\ud800b"]'], '22P02'],
    ['a null in a not-null column', 'insert into probe (word) values ($1)', [null], '23502'],
  ])('blames the data for %s', async (_label, query, params, code) => {
    const error = await failure(db.raw(query, params));
    expect([sqlState(error), classifyDatabaseError(error)]).toEqual([code, 'data']);
  });

  it('blames the data for a duplicate key', async () => {
    await db.raw('insert into probe (word) values ($1)', ['twice']);
    const error = await failure(db.raw('insert into probe (word) values ($1)', ['twice']));
    expect([sqlState(error), classifyDatabaseError(error)]).toEqual(['23505', 'data']);
  });

  it('sees through the error drizzle wraps around the driver', async () => {
    const error = await failure(db.db.execute(sql`select ${'a\u0000b'}::text`));
    expect(error).toBeInstanceOf(Error);
    expect([sqlState(error), classifyDatabaseError(error)]).toEqual(['22021', 'data']);
  });

  it('calls an undefined table unavailable: the database is not migrated, not the delivery wrong', async () => {
    const error = await failure(db.raw('select * from no_such_table', []));
    expect([sqlState(error), classifyDatabaseError(error)]).toEqual(['42P01', 'unavailable']);
  });

  it('stores what storableJson makes of NULs and lone surrogates, in values and keys', async () => {
    const value = { 'k\u0000ey': ['a\u0000b', 'c\ud800d', 'e\udc00', '😀 ok'], n: 1, t: true, z: null };
    const [row] = await db.raw('select $1::text::jsonb as doc', [storableJson(value)]);
    expect(row).toEqual({ doc: { key: ['ab', 'c\ufffdd', 'e\ufffd', '😀 ok'], n: 1, t: true, z: null } });
  });

  it('records a delivery whose key and effects hold a NUL, and hands back its effects', async () => {
    const mention = fixtureEvent('event_app_mention');
    const event = { ...mention, deliveryId: `${mention.deliveryId}:nul\u0000` };
    const effects = [post('echo a\u0000b and c\ud800')];
    const result = await recordDelivery(db.raw, event, effects, new Date(), { lease: true });
    expect(result).toMatchObject({ status: 'recorded', effects: 1 });
    expect(result.status === 'recorded' && result.claimed.map((c) => c.effect)).toEqual(effects);
    const stored = await db.raw(
      `select d.dedup_key, o.action->'args'->>'text' as text
       from deliveries d join outbox o on o.delivery_id = d.id where d.dedup_key like '%:nul'`,
      [],
    );
    expect(stored).toEqual([{ dedup_key: `${mention.deliveryId}:nul`, text: 'echo ab and c\ufffd' }]);
    const again = await recordDelivery(db.raw, event, effects, new Date());
    expect(again).toEqual({ status: 'duplicate' });
  });

  it('fails only the delivery whose data the store refuses when several are recorded together', async () => {
    // A statement holding "poison" fails as PostgreSQL fails a value it cannot store.
    const recorder = new DeliveryRecorder(async (query, params) =>
      String(params[0]).includes('poison')
        ? db.raw('select $1::text::jsonb', ['"\\u0000"'])
        : db.raw(query, params),
    );
    const base = fixtureEvent('command_link');
    const at = (key: string) => ({ ...base, deliveryId: `batch:${key}` });
    const settled = await Promise.allSettled([
      recorder.record(at('one'), [post('one')]),
      recorder.record(at('poison'), [post('poison')]),
      recorder.record(at('two'), [post('two')]),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [, poisoned] = settled;
    expect(poisoned?.status === 'rejected' && classifyDatabaseError(poisoned.reason)).toBe('data');
    const keys = await db.raw(
      `select dedup_key from deliveries where dedup_key like 'batch:%' order by 1`,
      [],
    );
    expect(keys).toEqual([{ dedup_key: 'batch:one' }, { dedup_key: 'batch:two' }]);
  });

  it('finds nothing, rather than failing, for a slug typed with a NUL', async () => {
    await db.raw(
      `insert into organizations (slug, name) values ('nulco', 'Nul Co') on conflict do nothing`,
      [],
    );
    const lookups = new DbLookups(db);
    const found = await Promise.all([
      lookups.organizationBySlug('nul\u0000co'),
      lookups.organizationBySlug('nulco'),
      lookups.organizationForChannel('T0001ACME', 'C0\u0000'),
    ]);
    expect(found).toEqual([null, { slug: 'nulco', name: 'Nul Co' }, null]);
  });

  it('lets a data error of a look-up through as it is, not as the store being unavailable', async () => {
    const error = await failure(new DbLookups(db).searchOrganizations('a\u0000b', 5));
    expect(error).toBeInstanceOf(DrizzleQueryError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(classifyDatabaseError(error)).toBe('data');
  });
});

describe('classifyDatabaseError: connection failures', () => {
  it('calls a refused PostgreSQL connection unavailable', async () => {
    const port = await closedPort();
    const client = postgres(`postgres://postgres@127.0.0.1:${port}/test`, { max: 1, connect_timeout: 2 });
    const error = await failure(client`select 1`);
    await client.end({ timeout: 0 });
    expect([(error as { code?: unknown }).code, sqlState(error), classifyDatabaseError(error)]).toEqual([
      'ECONNREFUSED',
      null,
      'unavailable',
    ]);
  });

  it('calls a closed PGlite unavailable', async () => {
    const client = new PGlite();
    await client.waitReady;
    await client.close();
    const error = await failure(client.query('select 1'));
    expect([sqlState(error), classifyDatabaseError(error)]).toEqual([null, 'unavailable']);
  });

  it.each([
    [
      'postgres.js lost its connection',
      Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }),
    ],
    ['a broken pipe', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
    ['a timeout without a code', new Error('recording timed out after 2000 ms')],
    ['something that is not an error', 'boom'],
  ])('calls %s unavailable', (_label, error) => {
    expect(classifyDatabaseError(error)).toBe('unavailable');
  });

  const url = process.env.TEST_DATABASE_URL;
  it.skipIf(!url)(
    'calls a statement timeout and a terminated session on PostgreSQL unavailable',
    async () => {
      const client = postgres(url ?? '', { max: 1, onnotice: () => {} });
      const killer = postgres(url ?? '', { max: 1, onnotice: () => {} });
      try {
        const timeout = await failure(client.unsafe('set statement_timeout = 20; select pg_sleep(1)'));
        expect([sqlState(timeout), classifyDatabaseError(timeout)]).toEqual(['57014', 'unavailable']);
        const [row] = await client`select pg_backend_pid() as pid`;
        const sleeping = failure(client`select pg_sleep(5)`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await killer`select pg_terminate_backend(${row?.pid})`;
        const terminated = await sleeping;
        expect(classifyDatabaseError(terminated)).toBe('unavailable');
      } finally {
        await client.end({ timeout: 0 });
        await killer.end({ timeout: 0 });
      }
    },
  );
});

describe('storableText', () => {
  it.each([
    ['plain text', 'hello', 'hello'],
    ['NULs', '\u0000a\u0000b\u0000', 'ab'],
    ['a lone high surrogate', 'a\ud83d', 'a\ufffd'],
    ['a lone low surrogate', '\ude00b', '\ufffdb'],
    ['a surrogate pair', '😀', '😀'],
  ])('keeps %s storable', (_label, input, output) => {
    expect(storableText(input)).toBe(output);
  });

  it('leaves JSON with nothing to strip exactly as JSON.stringify wrote it', () => {
    const value = { text: 'a \\u0000 written out, not a NUL', n: [1, 2] };
    expect(storableJson(value)).toBe(JSON.stringify(value));
  });
});
