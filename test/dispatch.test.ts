import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/core/errors.js';
import type { DatabaseHandle } from '../src/db/database.js';
import { migrate, openDatabase } from '../src/db/open.js';
import { countEffects, LEASE_MS } from '../src/db/outbox.js';
import { DeliveryRecorder } from '../src/db/record.js';
import { organizations } from '../src/db/schema.js';
import { DbLookups } from '../src/db/store.js';
import { dispatch, type Pipeline } from '../src/dispatch.js';
import { type EffectRunner, Executor } from '../src/executor.js';
import { createAppRouter } from '../src/handlers/index.js';
import { fixtureEvent } from './helpers/events.js';
import { quiet } from './helpers/http-stack.js';
import { testContext } from './helpers/lookups.js';

describe('dispatch: route → record → ack → run', () => {
  let handle: DatabaseHandle;
  const ran: string[] = [];
  const runner: EffectRunner = async (effect) =>
    void ran.push(effect.type === 'api' ? effect.method : effect.type);
  let pipeline: Pipeline;

  beforeAll(async () => {
    handle = await openDatabase('memory://');
    await migrate(handle);
    await handle.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
    pipeline = {
      router: createAppRouter(quiet),
      ctx: { ...testContext(new DbLookups(handle)) },
      database: handle,
      recorder: new DeliveryRecorder(handle.raw, { lease: true }),
      executor: new Executor(handle.db, runner, { logger: quiet }),
      logger: quiet,
    };
  });
  afterAll(() => handle.close());

  it('records a new delivery, acks with the handler body, and runs its effects when asked', async () => {
    const result = await dispatch(fixtureEvent('command_link'), pipeline);
    if (result.status !== 'ack') throw new Error(result.error);
    expect([result.recorded, result.body]).toEqual([
      'new',
      {
        response_type: 'in_channel',
        text: '<@U0USER001> linked this channel to <https://app.example.com/orgs/acme|Acme Corp>.',
      },
    ]);
    // Leased to this process, which runs them right after the ack.
    expect(await countEffects(handle.db)).toEqual({ running: 1 });
    expect((await result.run()).map((o) => o.status)).toEqual(['done']);
    expect(ran).toEqual(['store']);
  });

  it('leaves what a crash after the ack did not run to the drain, once the lease ends', async () => {
    const result = await dispatch(fixtureEvent('event_app_mention_enterprise'), pipeline);
    expect(result.status === 'ack' && result.recorded).toBe('new');
    // The process dies here: result.run() never happens.
    const later = new Executor(handle.db, runner, {
      logger: quiet,
      now: () => new Date(Date.now() + LEASE_MS + 1),
    });
    ran.length = 0;
    expect((await later.drain()).done).toBe(1);
    expect(ran).toEqual(['chat.postMessage']);
  });

  it('gives back the effects not started by the deadline (Lambda) for the next drain', async () => {
    const result = await dispatch(
      { ...fixtureEvent('event_app_mention'), deliveryId: 'deadline-1' },
      pipeline,
    );
    if (result.status !== 'ack') throw new Error(result.error);
    expect(await result.run({ deadline: Date.now() - 1 })).toEqual([]);
    ran.length = 0;
    expect((await pipeline.executor.drain()).done).toBe(1);
    expect(ran).toEqual(['chat.postMessage']);
  });

  it('acks a redelivery the same way and runs nothing', async () => {
    const mention = fixtureEvent('event_app_mention');
    const first = await dispatch(mention, pipeline);
    const again = await dispatch({ ...mention, retryNum: 1, retryReason: 'http_timeout' }, pipeline);
    expect([first.status === 'ack' && first.recorded, again.status === 'ack' && again.recorded]).toEqual([
      'new',
      'duplicate',
    ]);
    if (again.status === 'ack') expect(await again.run()).toEqual([]);
  });

  it('processes a first-seen retry normally: it may be the only delivery that arrived', async () => {
    const retry = { ...fixtureEvent('event_app_home_opened'), retryNum: 3, retryReason: 'http_error' };
    const result = await dispatch(retry, pipeline);
    expect(result.status === 'ack' && result.recorded).toBe('new');
  });

  it('writes nothing for a delivery without effects', async () => {
    const result = await dispatch(fixtureEvent('event_reaction_added'), pipeline);
    expect(result.status === 'ack' && result.recorded).toBe('none');
  });

  it('does not ack when the store cannot be reached', async () => {
    const down = await openDatabase('memory://');
    await migrate(down);
    await down.close();
    const broken = {
      ...pipeline,
      database: down,
      recorder: new DeliveryRecorder(down.raw, { lease: true }),
      ctx: testContext(new DbLookups(down)),
    };
    expect(await dispatch(fixtureEvent('event_app_mention'), broken)).toMatchObject({
      status: 'unavailable',
    });
    // Look-ups that fail are the store's fault, not the handler's: still no ack.
    const lookupsDown = { ...pipeline, ctx: testContext(new DbLookups(down)) };
    const result = await dispatch(fixtureEvent('command_link'), lookupsDown);
    expect(result).toMatchObject({ status: 'unavailable' });
    expect(result.status === 'unavailable' && result.error).toMatch(/^organizationBySlug failed/);
    expect(new StoreUnavailableError('x').code).toBe('store_unavailable');
  });
});
