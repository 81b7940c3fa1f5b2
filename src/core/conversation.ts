import type * as z from 'zod';

// Conversations as data: an effect may name the step its result (or its failure for good) is
// delivered to, app tasks do the app's non-Slack work, and timers deliver a step when due. The
// executor runs them; a step is a delivery like any other, routed to a pure handler.

/** The step a result is delivered to, and what the handler wants carried there. */
export interface Continuation {
  step: string;
  data?: unknown;
}

/** Where a step comes from: the delivery whose effect produced it (stamped by the router). */
export interface StepOrigin {
  deliveryId: string;
  teamId: string | null;
  enterpriseId: string | null;
  channelId: string | null;
  userId: string | null;
  /** The thread the conversation is in: the message's `thread_ts`, else its `ts`. */
  threadTs: string | null;
}

/**
 * What comes after an effect: a step on success (`.then`), one on failure for good (`.catch`).
 * Stored as data under other names: an object with a `then` field would pass for a promise.
 */
export interface Next {
  done?: Continuation;
  failed?: Continuation;
  origin?: StepOrigin;
}

/** The app's own work (its product's API, a model), run after the ack like a Web API call. */
export interface TaskEffect {
  type: 'task';
  name: string;
  input: unknown;
  next?: Next;
}

/** A step delivered after a delay, durably: `dueAt` (epoch ms) is stamped by the router from the clock. */
export interface LaterEffect {
  type: 'later';
  delayMs: number;
  dueAt?: number;
  next: Next;
}

/** An effect whose result can feed a step. */
export type Chainable<E extends { next?: Next }> = E & {
  /** Delivers the result to `step` (with `data`) once the effect succeeded. */
  then(step: string, data?: unknown): Chainable<E>;
  /** Delivers the failure (its error) to `step` (with `data`) once the effect failed for good. */
  catch(step: string, data?: unknown): Chainable<E>;
};

const CHAIN = {
  // biome-ignore lint/suspicious/noThenProperty: the builder reads as the flow it declares; `continuation` refuses an await's callbacks
  then(this: { next?: Next }, step: unknown, data?: unknown) {
    return chainable({ ...this, next: { ...this.next, done: continuation(step, data) } });
  },
  catch(this: { next?: Next }, step: unknown, data?: unknown) {
    return chainable({ ...this, next: { ...this.next, failed: continuation(step, data) } });
  },
};

function continuation(step: unknown, data: unknown): Continuation {
  // An effect is data, not a promise: `await api(...)` would land here with a function.
  if (typeof step !== 'string' || step === '')
    throw new TypeError(
      'then/catch take a step name: return the effect in the handler’s array, do not await it',
    );
  return data === undefined ? { step } : { step, data };
}

/** The effect with `then` and `catch` (kept off its own fields, so it is stored as plain data). */
export function chainable<E extends { next?: Next }>(effect: E): Chainable<E> {
  return Object.assign(Object.create(CHAIN) as typeof CHAIN, effect) as Chainable<E>;
}

/** Options a task's runner gets: abort when its time is up, and a key stable across its retries. */
export interface TaskRunOptions {
  signal: AbortSignal;
  /** The same on every try of this task: pass it to the product's API to make a retry safe. */
  idempotencyKey: string;
  attempt: number;
}

/** A task the app declares once: its input and output schemas and its runner. */
export interface TaskDeclaration<I = unknown, O = unknown> {
  input: z.ZodType<I>;
  output: z.ZodType<O>;
  run(input: I, options: TaskRunOptions): Promise<O>;
}

/** How a declared task ended, short of throwing (a throw is retried): its output, or why it cannot run. */
export type TaskOutcome<O> = { ok: true; output: O } | { ok: false; error: string };

/** A declared task, with `execute`: input checked, runner called, output checked, all with its own types. */
export interface DeclaredTask<I = unknown, O = unknown> extends TaskDeclaration<I, O> {
  execute(input: unknown, options: TaskRunOptions): Promise<TaskOutcome<O>>;
}

/** A task as the executor sees it: input checked, runner called, output checked. */
export interface RunnableTask {
  execute(input: unknown, options: TaskRunOptions): Promise<TaskOutcome<unknown>>;
}

/** A stream task as the executor sees it (`defineStream`, src/core/stream.ts). */
export interface OpenableStream {
  open(
    input: unknown,
    options: TaskRunOptions,
  ): { ok: true; parts: AsyncIterable<unknown> } | { ok: false; error: string };
}

/** The app's tasks and stream tasks by name. */
export type TaskTable = Record<string, RunnableTask | OpenableStream>;

/** The names of a task table's (non-stream) tasks. */
export type TaskNames<Table extends TaskTable> = {
  [N in keyof Table & string]: Table[N] extends RunnableTask ? N : never;
}[keyof Table & string];

/** A zod error's first issue, as `path: message`. */
export const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid';
};

/** Declares a task: its schemas and runner, and `execute`, which the executor calls. */
export function defineTask<I, O>(declaration: TaskDeclaration<I, O>): DeclaredTask<I, O> {
  return {
    ...declaration,
    async execute(raw, options) {
      const input = declaration.input.safeParse(raw);
      if (!input.success) return { ok: false, error: `input ${firstIssue(input.error)}` };
      const output = declaration.output.safeParse(await declaration.run(input.data, options));
      if (!output.success) return { ok: false, error: `output ${firstIssue(output.error)}` };
      return { ok: true, output: output.data };
    },
  };
}

/**
 * A `task(name, input)` builder typed by the app's task table: the input is checked against the
 * task's schema at compile time, and again by the executor before it runs.
 * @example const task = taskBuilder<typeof tasks>(); task('orgSummary', { slug }).then('summary-ready')
 */
export function taskBuilder<Table extends TaskTable>() {
  return <N extends TaskNames<Table>>(
    name: N,
    input: Table[N] extends DeclaredTask<infer I, unknown> ? I : never,
  ): Chainable<TaskEffect> => chainable<TaskEffect>({ type: 'task', name, input });
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest a timer may wait: a year. */
export const MAX_DELAY_MS = 366 * 86_400_000;

/** `'10m'`, `'30s'`, `'2h'`, `'1d'`, `'500ms'` or a number of ms, as ms (at most a year). */
export function durationMs(delay: string | number): number {
  const ms = parseDelay(delay);
  if (ms > MAX_DELAY_MS) throw new TypeError(`a delay of ${String(delay)} is longer than a year`);
  return ms;
}

function parseDelay(delay: string | number): number {
  if (typeof delay === 'number' && Number.isFinite(delay) && delay >= 0) return delay;
  const match = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(delay.trim()) : null;
  const unit = match?.[2] ? UNITS[match[2]] : undefined;
  if (!match || unit === undefined)
    throw new TypeError(`not a delay: ${String(delay)} (e.g. '10m', '30s', '2h')`);
  return Number(match[1]) * unit;
}

/** Delivers `step` (with `data`) after `delay` ('10m', '30s', …), durably. */
export function later(delay: string | number, step: string, data?: unknown): LaterEffect {
  return { type: 'later', delayMs: durationMs(delay), next: { done: continuation(step, data) } };
}
