import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyWrite } from '../../src/app/store/apply.js';
import { DbLookups } from '../../src/app/store/lookups.js';
import { channelLinks, organizations } from '../../src/app/store/schema.js';
import type { LinkApp } from '../../src/app/types.js';
import { WriteSchema } from '../../src/app/writes.js';
import type { Effect as AnyEffect } from '../../src/core/action.js';
import { api } from '../../src/core/action.js';
import { EffectError, StoreUnavailableError } from '../../src/core/errors.js';
import { storedEffectSchema } from '../../src/core/stored-effect.js';
import { deleteInstallation } from '../../src/db/installations.js';
import { claimEffects, countEffects, LEASE_MS } from '../../src/db/outbox.js';
import { DeliveryRecorder, recordDelivery } from '../../src/db/record.js';
import { deliveries, installations, outbox } from '../../src/db/schema.js';
import { type EffectRunner, Executor } from '../../src/pipeline/executor/executor.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { quiet } from '../helpers/http-stack.js';

/** A clock the test moves by hand. */
function clock(start = '2026-11-25T12:00:00Z') {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** A runner that records what it ran, and can be told to fail. */
function recorder(fail?: (effect: Effect, attempt: number) => Error | undefined) {
  const ran: string[] = [];
  const runner: EffectRunner<Effect> = async (effect, target) => {
    const error = fail?.(effect, target.attempt);
    if (error) throw error;
    ran.push(
      effect.type === 'api'
        ? `${effect.method}:${'text' in effect.args ? String(effect.args.text) : ''}`
        : effect.type,
    );
  };
  return { ran, runner };
}

type Effect = AnyEffect<LinkApp['write']>;
const schema = storedEffectSchema(WriteSchema);

const effects = (n: number): Effect[] =>
  Array.from({ length: n }, (_, i) => api('chat.postMessage', { channel: 'C0CHAN001', text: `effect ${i}` }));

describe.each(testDatabases())('storage on %s', (_name, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    const { db } = database;
    await db.delete(outbox);
    await db.delete(deliveries);
    await db.delete(channelLinks);
    await db.delete(organizations);
    await db.delete(installations);
    await db.insert(organizations).values([
      { slug: 'acme', name: 'Acme Corp' },
      { slug: 'globex', name: 'Globex 100%_Sons' },
    ]);
  });

  describe('effectively once', () => {
    it('records a delivery seen three times once, with one set of effects', async () => {
      const event = fixtureEvent('event_app_mention');
      const t = clock();
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(await recordDelivery(database.raw, event, effects(2), t.now()));
      expect(results.map((r) => r.status)).toEqual(['recorded', 'duplicate', 'duplicate']);
      expect(await countEffects(database.db)).toEqual({ pending: 2 });
    });

    it('records a delivery sent three times at once, once', async () => {
      const event = fixtureEvent('event_app_mention');
      const raws = database.another
        ? [database.raw, (await database.another()).raw, (await database.another()).raw]
        : [database.raw, database.raw, database.raw];
      const results = await Promise.all(
        raws.map((raw) => recordDelivery(raw, event, effects(3), new Date())),
      );
      expect(results.filter((r) => r.status === 'recorded')).toHaveLength(1);
      expect(await countEffects(database.db)).toEqual({ pending: 3 });
    });

    it('records deliveries that arrive together in one statement, a repeated one once', async () => {
      const recorder = new DeliveryRecorder(database.raw, { lease: true });
      const event = (key: string) => ({ ...fixtureEvent('event_reaction_added'), deliveryId: key });
      const results = await Promise.all(
        ['a', 'b', 'a', 'c', 'b'].map((key) => recorder.record(event(key), effects(2))),
      );
      expect(results.map((r) => r.status)).toEqual([
        'recorded',
        'recorded',
        'duplicate',
        'recorded',
        'duplicate',
      ]);
      expect(results.map((r) => (r.status === 'recorded' ? r.claimed.map((c) => c.position) : []))).toEqual([
        [0, 1],
        [0, 1],
        [],
        [0, 1],
        [],
      ]);
      expect(await countEffects(database.db)).toEqual({ running: 6 });
      const again = await recorder.record(event('c'), effects(1));
      expect(again.status).toBe('duplicate');
    });

    it('runs the effects a crash left pending exactly once, on the next drain', async () => {
      const t = clock();
      // The process "crashed" after recording: no executor ran.
      await recordDelivery(database.raw, fixtureEvent('event_app_mention'), effects(2), t.now());
      await recordDelivery(database.raw, fixtureEvent('event_link_shared'), effects(1), t.now());
      const { ran, runner } = recorder();
      const executor = new Executor(database, runner, schema, { now: t.now, logger: quiet });
      expect(await executor.drain()).toEqual({ done: 3, retried: 0, failed: 0, pruned: 0 });
      expect(await executor.drain()).toEqual({ done: 0, retried: 0, failed: 0, pruned: 0 });
      // Deliveries run side by side; one delivery's effects in order (effect 1 after the mention's effect 0).
      expect(ran).toEqual([
        'chat.postMessage:effect 0',
        'chat.postMessage:effect 0',
        'chat.postMessage:effect 1',
      ]);
      expect(await countEffects(database.db)).toEqual({ done: 3 });
    });

    it('runs each effect once when two drains race', async () => {
      for (let i = 0; i < 40; i++) {
        const event = { ...fixtureEvent('event_reaction_added'), deliveryId: `race-${i}` };
        await recordDelivery(database.raw, event, effects(3), new Date(Date.now() - 1000));
      }
      const { ran, runner } = recorder();
      const slowRunner: EffectRunner<Effect> = async (effect, target) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await runner(effect, target);
      };
      const other = database.another ? await database.another() : database;
      const [a, b] = await Promise.all([
        new Executor(database, slowRunner, schema, { logger: quiet, batch: 7 }).drain(),
        new Executor(other, slowRunner, schema, { logger: quiet, batch: 7 }).drain(),
      ]);
      expect(a.done + b.done).toBe(120);
      expect(ran).toHaveLength(120);
      expect(await countEffects(database.db)).toEqual({ done: 120 });
    });

    it('runs a just-recorded delivery from its lease, and nothing of other deliveries', async () => {
      const t = clock();
      await recordDelivery(database.raw, fixtureEvent('event_link_shared'), effects(1), t.now());
      const mine = await recordDelivery(
        database.raw,
        fixtureEvent('event_app_mention'),
        effects(2),
        t.now(),
        {
          lease: true,
        },
      );
      if (mine.status !== 'recorded') throw new Error('expected a new delivery');
      const { runner } = recorder();
      const outcomes = await new Executor(database, runner, schema, {
        now: t.now,
        logger: quiet,
      }).runClaimed(mine.claimed);
      expect(outcomes.map((o) => [o.effect, o.status])).toEqual([
        ['chat.postMessage', 'done'],
        ['chat.postMessage', 'done'],
      ]);
      expect(await countEffects(database.db)).toEqual({ done: 2, pending: 1 });
    });

    it('runs at most `concurrency` deliveries at once, and every one of them', async () => {
      let now = 0;
      let most = 0;
      const runner: EffectRunner<Effect> = async () => {
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 5));
        now--;
      };
      const executor = new Executor(database, runner, schema, { logger: quiet, concurrency: 2 });
      const recorded = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          recordDelivery(
            database.raw,
            { ...fixtureEvent('event_reaction_added'), deliveryId: `c${i}` },
            effects(2),
            new Date(),
            {
              lease: true,
            },
          ),
        ),
      );
      const outcomes = await Promise.all(
        recorded.map((r) => (r.status === 'recorded' ? executor.runClaimed(r.claimed) : [])),
      );
      expect(outcomes.flat().map((o) => o.status)).toEqual(Array(12).fill('done'));
      expect(most).toBe(2);
    });

    it('takes back an effect whose runner died mid-run once its lease ends', async () => {
      const t = clock();
      await recordDelivery(database.raw, fixtureEvent('event_app_mention'), effects(1), t.now());
      expect(await claimEffects(database.db, { now: t.now(), limit: 10 })).toHaveLength(1); // and then the process died
      const { ran, runner } = recorder();
      const executor = new Executor(database, runner, schema, { now: t.now, logger: quiet });
      expect((await executor.drain()).done).toBe(0);
      t.advance(LEASE_MS + 1);
      expect((await executor.drain()).done).toBe(1);
      expect(ran).toHaveLength(1);
    });
  });

  describe('failures', () => {
    it('retries a failing effect with backoff, then leaves it failed with its error', async () => {
      const t = clock();
      await recordDelivery(database.raw, fixtureEvent('event_app_mention'), effects(1), t.now());
      const attempts: number[] = [];
      const { runner } = recorder((_e, attempt) => {
        attempts.push(attempt);
        return new Error(`slack said no (${attempt})`);
      });
      const executor = new Executor(database, runner, schema, {
        now: t.now,
        logger: quiet,
        maxAttempts: 3,
        baseDelayMs: 1000,
      });
      expect((await executor.drain()).retried).toBe(1);
      expect((await executor.drain()).retried).toBe(0); // not due yet
      t.advance(1000);
      expect((await executor.drain()).retried).toBe(1);
      t.advance(1999);
      expect((await executor.drain()).retried).toBe(0); // the second delay is 2 s
      t.advance(1);
      expect((await executor.drain()).failed).toBe(1);
      expect(attempts).toEqual([1, 2, 3]);
      const [row] = await database.db.select().from(outbox);
      expect([row?.status, row?.attempts, row?.lastError]).toEqual(['failed', 3, 'slack said no (3)']);
    });

    it('fails a permanent error at once, and honours a Retry-After hint', async () => {
      const t = clock();
      await recordDelivery(database.raw, fixtureEvent('event_app_mention'), effects(2), t.now());
      const { runner } = recorder((effect) =>
        effect.type === 'api' && 'text' in effect.args && effect.args.text === 'effect 0'
          ? new EffectError('channel_not_found', { retryable: false })
          : new EffectError('ratelimited', { retryable: true, retryAfterMs: 30_000 }),
      );
      const executor = new Executor(database, runner, schema, {
        now: t.now,
        logger: quiet,
        baseDelayMs: 1000,
      });
      expect(await executor.drain()).toMatchObject({ failed: 1, retried: 1 });
      t.advance(29_000);
      expect((await executor.drain()).retried).toBe(0);
      t.advance(1_000);
      expect((await executor.drain()).retried).toBe(1);
    });

    it('fails an outbox entry it cannot read', async () => {
      const t = clock();
      await recordDelivery(database.raw, fixtureEvent('event_app_mention'), effects(1), t.now());
      await database.db.update(outbox).set({ action: { type: 'teleport' } });
      const { runner } = recorder();
      expect(
        (await new Executor(database, runner, schema, { now: t.now, logger: quiet }).drain()).failed,
      ).toBe(1);
    });
  });

  it('prunes old deliveries whose effects finished, and keeps the rest', async () => {
    const t = clock();
    const old = { ...fixtureEvent('event_app_mention'), deliveryId: 'old-done' };
    await recordDelivery(database.raw, old, effects(1), t.now());
    const { runner } = recorder();
    const executor = new Executor(database, runner, schema, {
      now: t.now,
      logger: quiet,
      retentionMs: 7 * 86_400_000,
    });
    await executor.drain();
    await recordDelivery(
      database.raw,
      { ...old, deliveryId: 'old-pending' },
      effects(1),
      new Date(t.now().getTime() + 3600_000),
    );
    t.advance(7 * 86_400_000 + 1);
    expect((await executor.drain()).pruned).toBe(1);
    const keys = (await database.db.select({ key: deliveries.dedupKey }).from(deliveries)).map((r) => r.key);
    expect(keys).toEqual(['old-pending']);
  });

  describe('look-ups and store writes', () => {
    it('links, finds, lists and unlinks channels', async () => {
      const lookups = new DbLookups(database);
      const link = { type: 'store', teamId: 'T1', linkedBy: 'U1' } as const;
      await applyWrite(database, {
        ...link,
        op: 'link_channel',
        channelId: 'C1',
        organizationSlug: 'acme',
      });
      await applyWrite(database, {
        ...link,
        op: 'link_channel',
        channelId: 'C2',
        organizationSlug: 'acme',
      });
      await applyWrite(database, {
        ...link,
        op: 'link_channel',
        channelId: 'C2',
        organizationSlug: 'globex',
      });
      expect(await lookups.organizationForChannel('T1', 'C2')).toEqual({
        slug: 'globex',
        name: 'Globex 100%_Sons',
      });
      expect(await lookups.organizationForChannel('T2', 'C2')).toBeNull();
      expect((await lookups.linkedChannels('T1')).map((l) => [l.channelId, l.organization.slug])).toEqual([
        ['C1', 'acme'],
        ['C2', 'globex'],
      ]);
      await applyWrite(database, {
        type: 'store',
        op: 'unlink_channel',
        teamId: 'T1',
        channelId: 'C1',
      });
      expect(await lookups.organizationForChannel('T1', 'C1')).toBeNull();
    });

    it('answers look-ups asked together in one go, each with its own answer', async () => {
      const lookups = new DbLookups(database);
      const link = { type: 'store', linkedBy: 'U1', op: 'link_channel' } as const;
      await applyWrite(database, {
        ...link,
        teamId: 'T1',
        channelId: 'C1',
        organizationSlug: 'acme',
      });
      await applyWrite(database, {
        ...link,
        teamId: 'T2',
        channelId: 'C1',
        organizationSlug: 'globex',
      });
      const [a, b, none, again, bySlug, noSlug] = await Promise.all([
        lookups.organizationForChannel('T1', 'C1'),
        lookups.organizationForChannel('T2', 'C1'),
        lookups.organizationForChannel('T1', 'C2'),
        lookups.organizationForChannel('T1', 'C1'),
        lookups.organizationBySlug('globex'),
        lookups.organizationBySlug('nobody'),
      ]);
      expect([a?.slug, b?.slug, none, again?.slug, bySlug?.name, noSlug]).toEqual([
        'acme',
        'globex',
        null,
        'acme',
        'Globex 100%_Sons',
        null,
      ]);
    });

    it('refuses to link to an organization that is gone', async () => {
      const write = {
        type: 'store',
        op: 'link_channel',
        teamId: 'T1',
        channelId: 'C1',
        organizationSlug: 'gone',
        linkedBy: 'U1',
      } as const;
      await expect(applyWrite(database, write)).rejects.toThrow('organization gone no longer exists');
    });

    it('searches organizations by slug or name, treating % and _ literally', async () => {
      const lookups = new DbLookups(database);
      expect((await lookups.searchOrganizations('ACM', 10)).map((o) => o.slug)).toEqual(['acme']);
      expect((await lookups.searchOrganizations('', 10)).map((o) => o.slug)).toEqual(['acme', 'globex']);
      expect((await lookups.searchOrganizations('%_', 10)).map((o) => o.slug)).toEqual(['globex']);
      expect(await lookups.searchOrganizations('x%', 10)).toEqual([]);
      expect(await lookups.organizationBySlug('acme')).toEqual({ slug: 'acme', name: 'Acme Corp' });
    });

    it('deletes a workspace installation, and an org-wide one when the enterprise uninstalls', async () => {
      await database.db.insert(installations).values([
        { teamId: 'T1', botToken: 'enc:1' },
        { teamId: 'T2', botToken: 'enc:2' },
        { enterpriseId: 'E1', isEnterpriseInstall: true, botToken: 'enc:3' },
      ]);
      await deleteInstallation(database.db, {
        teamId: 'T1',
        enterpriseId: null,
      });
      await deleteInstallation(database.db, {
        teamId: null,
        enterpriseId: 'E1',
      });
      expect(
        (await database.db.select({ team: installations.teamId }).from(installations)).map((r) => r.team),
      ).toEqual(['T2']);
    });
  });
});

describe('a store that cannot be reached', () => {
  it('makes look-ups throw StoreUnavailableError, which the router lets through', async () => {
    const [, open] = testDatabases()[0] ?? [];
    if (!open) throw new Error('no database');
    const handle = await open();
    await handle.close();
    const lookups = new DbLookups(handle);
    await expect(lookups.organizationBySlug('acme')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
