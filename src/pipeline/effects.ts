import {
  type Effect,
  type EffectType,
  type FrameworkEffect,
  type StoreWrite,
  unreachable,
} from '../core/action.js';
import type { EffectRunner, EffectTarget } from './executor/executor.js';

/** One runner per effect type: a new type fails to compile until it has one. Each answers its result (a step gets it). */
export type RunnerTable<W extends StoreWrite> = {
  [T in Exclude<EffectType, 'store'>]: (
    effect: Extract<FrameworkEffect, { type: T }>,
    target: EffectTarget,
  ) => Promise<unknown>;
} & { store: (write: W, target: EffectTarget) => Promise<unknown> };

const isWrite = <W extends StoreWrite>(effect: FrameworkEffect | W): effect is W => effect.type === 'store';

/** The executor's runner: the table's entry for the effect's type. */
export function runnerFrom<W extends StoreWrite>(table: RunnerTable<W>): EffectRunner<Effect<W>> {
  return function runEffect(effect, target) {
    if (isWrite(effect)) return table.store(effect, target);
    switch (effect.type) {
      case 'api':
        return table.api(effect, target);
      case 'respond':
        return table.respond(effect, target);
      case 'uninstall':
        return table.uninstall(effect, target);
      case 'task':
        return table.task(effect, target);
      case 'later':
        return table.later(effect, target);
      case 'stream':
        return table.stream(effect, target);
      case 'stop_stream':
        return table.stop_stream(effect, target);
      default:
        return unreachable(effect);
    }
  };
}
