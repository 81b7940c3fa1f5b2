import { describe, expect, it } from 'vitest';
import { createRoutes } from '../../src/app/routes.js';
import { testContext } from '../../src/app/testing.js';
import type { LinkApp } from '../../src/app/types.js';
import { WriteSchema } from '../../src/app/writes.js';
import type { Effect } from '../../src/core/action.js';
import { storedEffectSchema } from '../../src/core/stored-effect.js';
import { RecordAdmission, RecordTimes } from '../../src/db/admission.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { countEffects } from '../../src/db/outbox.js';
import { DeliveryRecorder, RecorderBusyError } from '../../src/db/record.js';
import { type EffectRunner, Executor } from '../../src/pipeline/executor/executor.js';
import { takeDelivery } from '../../src/pipeline/take-delivery.js';
import { fixtureEvent } from '../helpers/events.js';
import { quiet } from '../helpers/http-stack.js';

type AppEffect = Effect<LinkApp['write']>;
const schema = storedEffectSchema(WriteSchema);
const never = () => new Promise<never>(() => {});
const event = (n: number) => ({ ...fixtureEvent('command_link'), deliveryId: `bounds-${n}` });

describe('a store that hangs', () => {
  it('refuses a delivery at once once maxWaiting are waiting to be recorded', async () => {
    const recorder = new DeliveryRecorder<AppEffect>(never, { lease: true, maxWaiting: 3 });
    for (let n = 0; n < 3; n++) void recorder.record(event(n), []);
    const started = performance.now();
    await expect(recorder.record(event(3), [])).rejects.toBeInstanceOf(RecorderBusyError);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('answers unavailable when routing and recording pass the deadline, and refuses past maxPending at once', async () => {
    const parts = {
      router: createRoutes(quiet),
      ctx: testContext(),
      recorder: new DeliveryRecorder<AppEffect>(never, { lease: true }),
      executor: new Executor<AppEffect>(
        { db: null as unknown as never, raw: never },
        async () => {},
        schema,
        {
          logger: quiet,
        },
      ),
      logger: quiet,
      deadlineMs: 200,
      maxPending: 2,
      pending: { n: 0 },
    };
    const started = performance.now();
    const [a, b] = await Promise.all([takeDelivery(parts, event(1)), takeDelivery(parts, event(2))]);
    const waited = performance.now() - started;
    expect([a.status, b.status]).toEqual(['unavailable', 'unavailable']);
    expect(a.status === 'unavailable' && a.error).toBe('recording the delivery: no answer in 200 ms');
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(1_000);
    // Both still wait for the store: the next one is refused without waiting.
    const quick = performance.now();
    const c = await takeDelivery(parts, event(3));
    expect(c).toEqual({ status: 'unavailable', error: '2 deliveries are already waiting for the store' });
    expect(performance.now() - quick).toBeLessThan(50);
  });
});

describe('admission to the recorder', () => {
  /** Costs of exactly 1 ms a statement and 0.1 ms a delivery, learned from two batches. */
  function trained(clock: () => number = () => 0) {
    const admission = new RecordAdmission({ deadlineMs: 2_000, maxBatch: 200, clock });
    admission.times.observe(1, 1.1);
    admission.times.observe(200, 21);
    return admission;
  }

  it('learns a cost per statement and per delivery from batches of different sizes', () => {
    const times = new RecordTimes();
    expect(times.costs).toEqual({ statementMs: 0, deliveryMs: 0 });
    times.observe(1, 1.1);
    expect(times.costs).toEqual({ statementMs: 1.1, deliveryMs: 0 }); // one size: all of it is the statement's
    times.observe(200, 21);
    expect(times.costs.statementMs).toBeCloseTo(1, 6);
    expect(times.costs.deliveryMs).toBeCloseTo(0.1, 6);
  });

  it('takes a queue the store records within the deadline, however long, and refuses the one past it', () => {
    const admission = trained();
    // 50 statements + 10,000 deliveries: 1,050 ms.
    expect(admission.expectedWaitMs(9_999)).toBeCloseTo(1_050, 6);
    expect(admission.admits(9_999)).toBe(true);
    // 98 statements + 19,501 deliveries: 2,048 ms.
    expect(admission.admits(19_500)).toBe(false);
  });

  it('counts a batch running past its expected time as needing as long again, and refuses once that passes the deadline', () => {
    let now = 0;
    const admission = trained(() => now);
    admission.started(10); // expected: 1 + 10 × 0.1 = 2 ms
    now = 1;
    expect(admission.expectedWaitMs(0)).toBeCloseTo(1 + 1.1, 6);
    now = 1_500; // the store hangs
    expect(admission.expectedWaitMs(0)).toBeCloseTo(1_500 + 1.1, 6);
    expect(admission.admits(0)).toBe(true);
    now = 2_000;
    expect(admission.admits(0)).toBe(false);
  });

  it('refuses at once what a hanging store would not record in time, and takes deliveries again once it answers', async () => {
    let now = 0;
    const answers: ((rows: unknown[]) => void)[] = [];
    const raw = () => new Promise<unknown[]>((resolve) => answers.push(resolve));
    /** The statement the recorder sent next, once it has. */
    const statement = async () => {
      while (answers.length === 0) await new Promise((resolve) => setImmediate(resolve));
      return answers.shift() as (rows: unknown[]) => void;
    };
    const recorder = new DeliveryRecorder<AppEffect>(raw, { lease: true, clock: () => now });
    const first = recorder.record(event(1), []);
    const answerFirst = await statement(); // its batch has started
    const second = recorder.record(event(2), []); // queued behind it: the store is not known to be slow
    now = 2_500; // the first batch has run for 2.5 s
    const started = performance.now();
    await expect(recorder.record(event(3), [])).rejects.toThrow(
      new RecorderBusyError(
        '2 deliveries are already waiting for the store (this one would wait about 2500 ms)',
      ),
    );
    expect(performance.now() - started).toBeLessThan(50);
    answerFirst([]); // the store answers
    expect(await first).toEqual({ status: 'duplicate' });
    (await statement())([]);
    expect(await second).toEqual({ status: 'duplicate' });
    // Idle again: the next one is taken, and its quick batch shows the store is back.
    const third = recorder.record(event(4), []);
    const answerThird = await statement();
    now += 1;
    answerThird([]);
    expect(await third).toEqual({ status: 'duplicate' });
  });
});

describe('an outcome the store did not take', () => {
  it('is kept in memory, not claimed again by the drain, and written once the store answers', async () => {
    const handle = await openDatabase('memory://');
    await migrate(handle);
    let down = false;
    // The database as the executor sees it: the "done" update (raw) and the ORM's statements fail while `down`.
    const db = new Proxy(handle.db, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'execute' || typeof value !== 'function') return value;
        return (query: Parameters<typeof target.execute>[0]) => {
          if (down) return Promise.reject(new Error('connection closed'));
          return target.execute(query);
        };
      },
    });
    const ran: number[] = [];
    const runner: EffectRunner<AppEffect> = async (_effect, target) => void ran.push(target.attempt);
    const lease = { owner: 'node-self', ms: 60_000 };
    const raw: typeof handle.raw = (query, params) =>
      down ? Promise.reject(new Error('connection closed')) : handle.raw(query, params);
    const executor = new Executor<AppEffect>({ db, raw }, runner, schema, {
      logger: quiet,
      lease,
      markTimeoutMs: 100,
    });
    const recorder = new DeliveryRecorder<AppEffect>(handle.raw, { lease });
    const recorded = await recorder.record(event(9), [
      { type: 'api', method: 'chat.postMessage', args: { channel: 'C1', text: 'hi' } },
    ]);
    if (recorded.status !== 'recorded') throw new Error('not recorded');
    down = true;
    const outcomes = await executor.runClaimed(recorded.claimed);
    expect(outcomes.map((o) => o.status)).toEqual(['done']);
    expect(executor.unwrittenOutcomes).toBe(1);
    expect(await countEffects(handle.db)).toEqual({ running: 1 });
    down = false;
    // A drain writes kept outcomes first, and does not take the effect again.
    expect(await executor.drain()).toEqual({ done: 0, retried: 0, failed: 0, pruned: 0 });
    expect(executor.unwrittenOutcomes).toBe(0);
    expect(await countEffects(handle.db)).toEqual({ done: 1 });
    expect(ran).toEqual([1]);
    executor.stop();
    await handle.close();
  });
});
