import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LinkApp } from '../../src/app/types.js';
import { WriteSchema } from '../../src/app/writes.js';
import { type Effect as AnyEffect, api } from '../../src/core/action.js';
import { storedEffectSchema } from '../../src/core/stored-effect.js';
import { countEffects } from '../../src/db/outbox.js';
import { DeliveryRecorder } from '../../src/db/record.js';
import { deliveries, outbox } from '../../src/db/schema.js';
import { type EffectRunner, Executor } from '../../src/pipeline/executor/executor.js';
import { DoneMarks } from '../../src/pipeline/executor/marks.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixtureEvent } from '../helpers/events.js';
import { quiet } from '../helpers/http-stack.js';

type Effect = AnyEffect<LinkApp['write']>;
const schema = storedEffectSchema(WriteSchema);
const lease = { owner: 'node-self', ms: 60_000 };
const post = (text: string) => api('chat.postMessage', { channel: 'C0CHAN001', text });
const event = (n: number) => ({ ...fixtureEvent('event_app_mention'), deliveryId: `done-${n}` });

describe.each(testDatabases())('done marks on %s', (_name, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.db.delete(outbox);
    await database.db.delete(deliveries);
  });

  it('writes the done marks of deliveries that finish together, through raw statements', async () => {
    const statements: string[] = [];
    const raw: typeof database.raw = (query, params) => {
      statements.push(query.trim().split(/\s+/).slice(0, 2).join(' '));
      return database.raw(query, params);
    };
    const recorder = new DeliveryRecorder<Effect>(database.raw, { lease });
    const recorded = await Promise.all([1, 2, 3].map((n) => recorder.record(event(n), [post(`${n}`)])));
    const ran: string[] = [];
    const runner: EffectRunner<Effect> = async (effect) => {
      if (effect.type === 'api' && 'text' in effect.args) ran.push(String(effect.args.text));
    };
    const executor = new Executor<Effect>({ db: database.db, raw }, runner, schema, { logger: quiet, lease });
    const outcomes = await Promise.all(
      recorded.map((r) => (r.status === 'recorded' ? executor.runClaimed(r.claimed) : [])),
    );
    expect(outcomes.flat().map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect(ran.sort()).toEqual(['1', '2', '3']);
    expect(statements).toEqual(['update outbox']);
    expect(await countEffects(database.db)).toEqual({ done: 3 });
  });
});

describe('DoneMarks', () => {
  it('hands a batch the store did not take in time to `failed`, and settles its marks', async () => {
    const seen: string[] = [];
    const marks = new DoneMarks({
      write: () => new Promise(() => {}),
      timeoutMs: 50,
      written: (ids) => void seen.push(`written ${ids}`),
      failed: (ids, cause) => void seen.push(`failed ${ids}: ${String(cause)}`),
    });
    const started = performance.now();
    await Promise.all([marks.add(1), marks.add(2)]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(seen).toEqual(['failed 1,2: DeadlineError: writing an effect outcome: no answer in 50 ms']);
  });

  it('writes what arrives while a batch runs in the next one', async () => {
    const batches: number[][] = [];
    const marks = new DoneMarks({
      write: async (ids) => {
        batches.push(ids);
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
      timeoutMs: 1_000,
      written: () => {},
      failed: () => {},
    });
    const first = marks.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, marks.add(2), marks.add(3)]);
    expect(batches).toEqual([[1], [2, 3]]);
  });
});
