import { describe, expect, it } from 'vitest';
import { Batcher, BatchQueue } from '../../src/db/batch.js';

/** A batch runner whose batches finish when the test says so. */
function controlled() {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  const queue = new BatchQueue<number>(
    (batch) =>
      new Promise<void>((resolve) => {
        batches.push(batch);
        running++;
        maxRunning = Math.max(maxRunning, running);
        finish.push(() => {
          running--;
          resolve();
        });
      }),
  );
  return { queue, batches, finish, maxRunning: () => maxRunning };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchQueue', () => {
  it('runs what arrives in one turn as one batch', async () => {
    const { queue, batches } = controlled();
    for (const i of [1, 2, 3]) queue.push(i);
    await turn();
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('runs one batch at a time; what arrives meanwhile goes together into the next', async () => {
    const { queue, batches, finish, maxRunning } = controlled();
    queue.push(1);
    await turn();
    for (const i of [2, 3, 4]) {
      queue.push(i);
      await turn(); // several turns pass while the first batch runs
    }
    expect(batches).toEqual([[1]]);
    finish.shift()?.();
    await turn();
    await turn();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    finish.shift()?.();
    expect(maxRunning()).toBe(1);
  });

  it('keeps going after a batch that failed', async () => {
    const seen: number[][] = [];
    const queue = new BatchQueue<number>(async (batch) => {
      seen.push(batch);
      if (batch.includes(1)) throw new Error('lost connection');
    });
    queue.push(1);
    await turn();
    await turn();
    queue.push(2);
    await turn();
    expect(seen).toEqual([[1], [2]]);
  });
});

describe('Batcher', () => {
  it('fetches the keys asked for together in one call, each key once', async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>(
      (key) => key,
      async (keys) => {
        calls.push(keys);
        return new Map(keys.filter((k) => k !== 'none').map((k) => [k, k.toUpperCase()]));
      },
    );
    const values = await Promise.all(['a', 'b', 'a', 'none'].map((k) => batcher.load(k)));
    expect(values).toEqual(['A', 'B', 'A', null]);
    expect(calls).toEqual([['a', 'b', 'none']]);
  });

  it('rejects every waiter of a batch whose query failed', async () => {
    const batcher = new Batcher<string, string>(
      (key) => key,
      async () => {
        throw new Error('database down');
      },
    );
    const results = await Promise.allSettled([batcher.load('a'), batcher.load('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
