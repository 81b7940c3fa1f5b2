import type { ApiArgs, ApiMethod, Effect, StoreWrite } from '../core/action.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, HandlerContext } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import type { Routed, Router } from '../core/router.js';
import { type EffectEnd, stepEventFor } from '../core/step-event.js';
import { runLater } from '../pipeline/tasks.js';
import { syntheticResult } from '../slack/dry-run.js';
import type { Fixture } from './fixtures.js';
import { eventOf } from './run-handler.js';

/** Steps a flow may deliver before `runFlow` takes it for a loop. */
export const MAX_FLOW_STEPS = 100;

/** What stands in for Slack, the app's tasks and the clock while a flow runs. */
export interface FlowFakes {
  /** A Web API method's answer, or an `Error` (failed for good: its `.catch` step runs). Default: `syntheticResult`. */
  results?: { [M in ApiMethod]?: (args: ApiArgs<M>) => object | Error };
  /** A task's output by task name; a throw fails it for good (no retries), so its `.catch` step runs. */
  tasks?: Record<string, (input: unknown) => unknown | Promise<unknown>>;
  /** When the flow starts (default `ctx.now()`). The clock stands still but for timers. */
  now?: Date;
  /** Steps delivered before the flow is taken for a loop and throws (default `MAX_FLOW_STEPS`). */
  maxSteps?: number;
}

/** One delivery of a flow: its event, and what its handler decided (as `runHandler` answers). */
export interface FlowDelivery<W extends StoreWrite = StoreWrite> extends Routed<W> {
  event: NormalizedEvent;
}

interface Queued {
  id: number;
  effect: Effect;
  due: number;
  from: NormalizedEvent;
}

/**
 * Runs a whole conversation offline: dispatches `fixture`, then, for each effect that names a step
 * (`.then`/`.catch`), makes its result from `fakes` and dispatches the step, breadth-first: a
 * delivery's effects in order, each step's effects after those queued before them. A `later` timer
 * is delivered at once, the clock moved on to its due time, after everything due before it. Keys
 * are the executor's `step:<n>`, `n` numbering the flow's effects in the order they are recorded
 * (an outbox id on a fresh database). No I/O, no database, no fake Slack.
 * Returns every delivery in order, the fixture's first; throws past `maxSteps` steps (a loop).
 * @example
 * const flow = await runFlow(router, fixture('event_app_mention'), ctx, {
 *   results: { 'chat.postMessage': () => ({ ok: true, channel: 'C1', ts: '1.000001' }) },
 *   tasks: { summary: () => ({ text: 'Acme: 12 channels' }) },
 * });
 * expect(flow.map((d) => d.handler)).toEqual(['event:app_mention', 'step:posted', 'step:summarized']);
 */
export async function runFlow<T extends AppTypes>(
  app: Router<T> | SlackApp<T, never>,
  fixture: Fixture | NormalizedEvent,
  ctx: HandlerContext<T>,
  fakes: FlowFakes = {},
): Promise<FlowDelivery<T['write']>[]> {
  const router = 'router' in app ? app.router : app;
  const maxSteps = fakes.maxSteps ?? MAX_FLOW_STEPS;
  let clock = (fakes.now ?? ctx.now()).getTime();
  const flowCtx: HandlerContext<T> = { ...ctx, now: () => new Date(clock) };
  const deliveries: FlowDelivery<T['write']>[] = [];
  const queue: Queued[] = [];
  let recorded = 0;

  const deliver = async (event: NormalizedEvent) => {
    const routed = await router.dispatch(event, flowCtx);
    deliveries.push({ event, ...routed });
    for (const effect of routed.effects) {
      const due = effect.type === 'later' ? (effect.dueAt ?? clock + effect.delayMs) : clock;
      queue.push({ id: ++recorded, effect, due, from: event });
    }
  };

  await deliver('kind' in fixture && 'deliveryId' in fixture ? fixture : eventOf(fixture));
  for (let item = takeFirst(queue); item; item = takeFirst(queue)) {
    if (!namesStep(item.effect)) continue;
    clock = Math.max(clock, item.due);
    const end = await endOf(fakeFor(item.effect, fakes, clock));
    const step = stepEventFor(item.effect, end, `step:${item.id}`, {
      teamId: item.from.teamId,
      enterpriseId: item.from.enterpriseId,
      from: `outbox:${item.id}`,
    });
    if (!step) continue;
    if (deliveries.length > maxSteps) {
      const names = deliveries.slice(-5).map((d) => d.event.name);
      throw new Error(
        `runFlow: more than ${maxSteps} steps, a loop? The last were ${names.join(' → ')} → ${step.name}; pass maxSteps for a longer flow`,
      );
    }
    await deliver(step);
  }
  return deliveries;
}

/** The next effect the executor would end: the earliest due, then the first recorded. */
function takeFirst(queue: Queued[]): Queued | undefined {
  let best = 0;
  for (let i = 1; i < queue.length; i++) {
    const [a, b] = [queue[i], queue[best]];
    if (a && b && (a.due < b.due || (a.due === b.due && a.id < b.id))) best = i;
  }
  return queue.splice(best, 1)[0];
}

function namesStep(effect: Effect): boolean {
  return 'next' in effect && effect.next !== undefined && (!!effect.next.done || !!effect.next.failed);
}

/** What produces `effect`'s result under the fakes; throws when the fakes do not cover it. */
function fakeFor(effect: Effect, fakes: FlowFakes, now: number): () => unknown {
  switch (effect.type) {
    case 'api': {
      // The map is typed per method; a recorded call's arguments are WebClient's plain object.
      const fake = fakes.results?.[effect.method] as ((args: object) => object | Error) | undefined;
      return fake ? () => fake(effect.args) : () => syntheticResult(effect, now);
    }
    case 'task': {
      const fake =
        fakes.tasks && Object.hasOwn(fakes.tasks, effect.name) ? fakes.tasks[effect.name] : undefined;
      if (!fake)
        throw new Error(
          `runFlow: no fake for task ${effect.name}: pass tasks: { ${effect.name}: (input) => output }`,
        );
      return () => fake(effect.input);
    }
    case 'later':
      return () => runLater({ ...effect, dueAt: effect.dueAt ?? now });
    default:
      return () => null;
  }
}

/** How an effect ends: done with what `run` answers, failed for good (no retries) if it throws or answers an `Error`. */
async function endOf(run: () => unknown): Promise<EffectEnd> {
  try {
    const result = await run();
    if (result instanceof Error) throw result;
    return { status: 'done', result };
  } catch (error) {
    return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
  }
}
