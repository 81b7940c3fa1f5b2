import type { Effect } from '../../core/action.js';
import type { Gate } from './gate.js';
import type { EffectTarget, ExecutorOptions } from './types.js';

/**
 * Longest wait for an effect's turn in its lane (a channel's messages go one by one, in order) when
 * run after its ack: its earlier siblings run here, in another process or from the outbox meanwhile.
 */
export const ORDER_WAIT_MS = 120_000;
/**
 * The same in a drain, shorter: a drain must end, so an effect whose earlier sibling waits in the
 * outbox (not due yet) goes back and lets the next drain claim that sibling.
 */
export const DRAIN_ORDER_WAIT_MS = 10_000;
/** An effect whose turn did not come in time goes back to the outbox, due this much later. */
export const BLOCKED_RETRY_MS = 1_000;

/**
 * Waits for the effect's rate-limit lane (`pace`): for its turn, then for its slot, giving its place
 * in `gate` back meanwhile and taking it again at once when its slot comes (queueing again would
 * send it after later ones). Answers when it is due instead, if that is past `staleAt` (an expiry
 * lease ends first) or its turn did not come within `orderWaitMs`: it goes back to the outbox.
 * Null once it may run.
 */
export async function waitForLane(
  pace: ExecutorOptions['pace'],
  effect: Effect,
  target: EffectTarget,
  gate: Gate | undefined,
  staleAt: number,
  orderWaitMs = ORDER_WAIT_MS,
): Promise<Date | null> {
  if (!pace) return null;
  let left = false;
  const waiting = () => {
    if (left) return;
    left = true;
    gate?.leave();
  };
  const wait = await pace(effect, target, { until: Math.min(staleAt, Date.now() + orderWaitMs), waiting });
  if (wait === 'blocked' || wait <= 0 || Date.now() + wait >= staleAt) {
    if (left) gate?.reenter();
    if (wait === 'blocked') return new Date(Date.now() + BLOCKED_RETRY_MS);
    return wait <= 0 ? null : new Date(Date.now() + wait);
  }
  if (!left) gate?.leave();
  await new Promise((resolve) => setTimeout(resolve, wait));
  gate?.reenter();
  return null;
}
