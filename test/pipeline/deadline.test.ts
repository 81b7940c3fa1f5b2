import { describe, expect, it } from 'vitest';
import { countdown, DeadlineError, withDeadline } from '../../src/pipeline/deadline.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('countdown', () => {
  it('calls each expiry once its time has passed, oldest first', async () => {
    const ended: string[] = [];
    countdown(30, () => ended.push('first'));
    await sleep(10);
    countdown(30, () => ended.push('second'));
    await sleep(25);
    expect(ended).toEqual(['first']);
    await sleep(20);
    expect(ended).toEqual(['first', 'second']);
  });

  it('never calls a cancelled one, whichever of the lane is cancelled', async () => {
    const ended: number[] = [];
    const all = [1, 2, 3, 4].map((n) => countdown(20, () => ended.push(n)));
    all[0]?.cancel();
    all[2]?.cancel();
    all[2]?.cancel(); // twice changes nothing
    await sleep(40);
    expect(ended).toEqual([2, 4]);
  });

  it('keeps its lane going when an expiry starts another', async () => {
    const ended: string[] = [];
    countdown(15, () => {
      ended.push('first');
      countdown(15, () => ended.push('started by the first'));
    });
    await sleep(50);
    expect(ended).toEqual(['first', 'started by the first']);
  });
});

describe('withDeadline', () => {
  it('gives the work its value when it ends in time', async () => {
    await expect(
      withDeadline(
        sleep(5).then(() => 'done'),
        50,
        'the work',
      ),
    ).resolves.toBe('done');
  });

  it('refuses with a DeadlineError naming the wait once the time has passed', async () => {
    const late = withDeadline(sleep(100), 20, 'recording the delivery');
    await expect(late).rejects.toThrow(DeadlineError);
    await expect(late).rejects.toThrow('recording the delivery: no answer in 20 ms');
  });

  it('passes the work’s own error on', async () => {
    await expect(withDeadline(Promise.reject(new Error('broken')), 50, 'the work')).rejects.toThrow('broken');
  });
});
