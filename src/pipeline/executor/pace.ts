import type { Effect } from '../../core/action.js';
import type { Gate } from './gate.js';
import type { EffectTarget, ExecutorOptions } from './types.js';

/**
 * Waits for the effect's rate-limit lane (`pace`), giving its place in `gate` back meanwhile and
 * taking it again at once when its slot comes (queueing again would send it after later ones).
 * Answers when it is due instead, if that is past `staleAt` (an expiry lease ends first): it goes
 * back to the outbox. Null once it may run.
 */
export async function waitForLane(
  pace: ExecutorOptions['pace'],
  effect: Effect,
  target: EffectTarget,
  gate: Gate | undefined,
  staleAt: number,
): Promise<Date | null> {
  const wait = pace ? await pace(effect, target) : 0;
  if (wait <= 0) return null;
  if (Date.now() + wait >= staleAt) return new Date(Date.now() + wait);
  gate?.leave();
  await new Promise((resolve) => setTimeout(resolve, wait));
  gate?.reenter();
  return null;
}
