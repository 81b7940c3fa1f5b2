import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoutes } from '../../src/app/routes.js';
import { DbLookups } from '../../src/app/store/lookups.js';
import { organizations } from '../../src/app/store/schema.js';
import { testContext } from '../../src/app/testing.js';
import type { LinkApp } from '../../src/app/types.js';
import { WriteSchema } from '../../src/app/writes.js';
import type { Effect } from '../../src/core/action.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { storedEffectSchema } from '../../src/core/stored-effect.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { countEffects, LEASE_MS } from '../../src/db/outbox.js';
import { DeliveryRecorder } from '../../src/db/record.js';
import { type EffectRunner, Executor } from '../../src/pipeline/executor/executor.js';
import { type PipelineParts, takeDelivery } from '../../src/pipeline/take-delivery.js';
import { fixtureEvent } from '../helpers/events.js';
import { quiet } from '../helpers/http-stack.js';

type AppEffect = Effect<LinkApp['write']>;
const schema = storedEffectSchema(WriteSchema);

describe('dispatch: route → record → ack → run', () => {
  let handle: DatabaseHandle;
  const ran: string[] = [];
  const runner: EffectRunner<AppEffect> = async (effect) =>
    void ran.push(effect.type === 'api' ? effect.method : effect.type);
  let pipeline: PipelineParts<LinkApp>;

  beforeAll(async () => {
    handle = await openDatabase('memory://');
    await migrate(handle);
    await handle.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
    pipeline = {
      router: createRoutes(quiet),
      ctx: { ...testContext(new DbLookups(handle)) },
      recorder: new DeliveryRecorder<AppEffect>(handle.raw, { lease: true }),
      executor: new Executor(handle, runner, schema, { logger: quiet }),
      logger: quiet,
    };
  });
  afterAll(() => handle.close());

  it('records a new delivery, acks with the handler body, and runs its effects when asked', async () => {
    const result = await takeDelivery(pipeline, fixtureEvent('command_link'));
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
    expect((await result.after()).map((o) => o.status)).toEqual(['done']);
    expect(ran).toEqual(['store']);
  });

  it('leaves what a crash after the ack did not run to the drain, once the lease ends', async () => {
    const result = await takeDelivery(pipeline, fixtureEvent('event_app_mention_enterprise'));
    expect(result.status === 'ack' && result.recorded).toBe('new');
    // The process dies here: result.after() never happens.
    const later = new Executor(handle, runner, schema, {
      logger: quiet,
      now: () => new Date(Date.now() + LEASE_MS + 1),
    });
    ran.length = 0;
    expect((await later.drain()).done).toBe(1);
    expect(ran).toEqual(['chat.postMessage']);
  });

  it('gives back the effects not started by the deadline (Lambda) for the next drain', async () => {
    const result = await takeDelivery(pipeline, {
      ...fixtureEvent('event_app_mention'),
      deliveryId: 'deadline-1',
    });
    if (result.status !== 'ack') throw new Error(result.error);
    expect(await result.after({ deadline: Date.now() - 1 })).toEqual([]);
    ran.length = 0;
    expect((await pipeline.executor.drain()).done).toBe(1);
    expect(ran).toEqual(['chat.postMessage']);
  });

  it('acks a redelivery the same way and runs nothing', async () => {
    const mention = fixtureEvent('event_app_mention');
    const first = await takeDelivery(pipeline, mention);
    const again = await takeDelivery(pipeline, { ...mention, retryNum: 1, retryReason: 'http_timeout' });
    expect([first.status === 'ack' && first.recorded, again.status === 'ack' && again.recorded]).toEqual([
      'new',
      'duplicate',
    ]);
    if (again.status === 'ack') expect(await again.after()).toEqual([]);
  });

  it('processes a first-seen retry normally: it may be the only delivery that arrived', async () => {
    const retry = { ...fixtureEvent('event_app_home_opened'), retryNum: 3, retryReason: 'http_error' };
    const result = await takeDelivery(pipeline, retry);
    expect(result.status === 'ack' && result.recorded).toBe('new');
  });

  it('writes nothing for a delivery without effects', async () => {
    const result = await takeDelivery(pipeline, fixtureEvent('event_reaction_added'));
    expect(result.status === 'ack' && result.recorded).toBe('none');
  });

  it('does not ack when the store cannot be reached', async () => {
    const down = await openDatabase('memory://');
    await migrate(down);
    await down.close();
    const broken = {
      ...pipeline,
      recorder: new DeliveryRecorder<AppEffect>(down.raw, { lease: true }),
      ctx: testContext(new DbLookups(down)),
    };
    expect(await takeDelivery(broken, fixtureEvent('event_app_mention'))).toMatchObject({
      status: 'unavailable',
    });
    // Look-ups that fail are the store's fault, not the handler's: still no ack.
    const lookupsDown = { ...pipeline, ctx: testContext(new DbLookups(down)) };
    const result = await takeDelivery(lookupsDown, fixtureEvent('command_link'));
    expect(result).toMatchObject({ status: 'unavailable' });
    expect(result.status === 'unavailable' && result.error).toMatch(/^organizationBySlug failed/);
    expect(new StoreUnavailableError('x').code).toBe('store_unavailable');
  });
});
