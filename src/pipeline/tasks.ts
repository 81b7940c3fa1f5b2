import type { LaterEffect, TaskEffect, TaskTable } from '../core/conversation.js';
import { EffectError } from '../core/errors.js';
import type { EffectTarget } from './executor/executor.js';

/** How long a task may run before its signal aborts (the executor's own limit is a little longer). */
export const TASK_TIMEOUT_MS = 60_000;

/**
 * Runs the app's tasks: the input checked by the task's schema, the runner given an abort signal
 * and an idempotency key stable across retries (`task:<outbox id>`), the output checked before a
 * step gets it. A task that throws is retried with the outbox's policy; one whose input or output
 * does not fit its schema fails for good at once.
 */
export function taskRunner(tasks: TaskTable = {}, timeoutMs = TASK_TIMEOUT_MS) {
  return async function runTask(effect: TaskEffect, target: EffectTarget): Promise<unknown> {
    const declaration = Object.hasOwn(tasks, effect.name) ? tasks[effect.name] : undefined;
    if (!declaration || !('execute' in declaration))
      throw new EffectError(`no task named ${effect.name}: declare it in the app's tasks (defineTask)`, {
        retryable: false,
      });
    const outcome = await declaration.execute(effect.input, {
      signal: AbortSignal.timeout(timeoutMs),
      idempotencyKey: `task:${target.id}`,
      attempt: target.attempt,
    });
    if (!outcome.ok) throw new EffectError(`task ${effect.name}: ${outcome.error}`, { retryable: false });
    return outcome.output;
  };
}

/** A timer that came due: its result is when it was due. */
export async function runLater(effect: LaterEffect): Promise<{ dueAt: string | null }> {
  return { dueAt: effect.dueAt === undefined ? null : new Date(effect.dueAt).toISOString() };
}
