import type { ApiCall } from '../../core/action.js';
import type { Logger } from '../../core/context.js';
import type { TaskTable } from '../../core/conversation.js';
import { EffectError } from '../../core/errors.js';
import type {
  StopStreamEffect,
  StreamEffect,
  StreamEnd,
  StreamPart,
  StreamResult,
} from '../../core/stream.js';
import type { StreamStore } from '../../db/streams.js';
import type { EffectTarget } from '../executor/types.js';
import { closeInterrupted, resendFinalStop, STREAM_EXPIRY_MS, StreamWriter } from './writer.js';

/** Least time between two calls for one answer: `chat.appendStream` is Tier 4 (100+ a minute). */
export const STREAM_INTERVAL_MS = 600;
/** A message is continued in a new one this long before Slack's stream expiry. */
export const STREAM_RENEW_MS = 30_000;
/** The longest an answer may take where a live process owns its lease (Node). */
export const STREAM_MAX_MS = 15 * 60_000;

export interface StreamRunnerOptions {
  tasks: TaskTable;
  /** One Web API call for a workspace: the executor's Slack runner (or the dry run's). */
  slack: (call: ApiCall, target: EffectTarget) => Promise<unknown>;
  store: StreamStore;
  logger: Logger;
  /** Answers streaming in this process, so a stop reaches them at once. */
  local?: LocalStreams;
  intervalMs?: number;
  expiryMs?: number;
  renewMs?: number;
  /** The longest an answer may take: cut short (and said so) after it. */
  timeLimitMs?: number;
}

/** Why a stream's signal aborted. */
export class StreamStopped extends Error {
  override readonly name = 'StreamStopped';
  constructor(readonly end: Exclude<StreamEnd, 'complete'>) {
    super(end === 'stopped' ? 'the user stopped the answer' : 'the answer took too long');
  }
}

/** The answers streaming in this process, by thread, so a stop aborts them without waiting for a call. */
export class LocalStreams {
  readonly #byThread = new Map<string, Set<AbortController>>();

  add(channel: string, threadTs: string, controller: AbortController): () => void {
    const key = `${channel}:${threadTs}`;
    const set = this.#byThread.get(key) ?? new Set();
    set.add(controller);
    this.#byThread.set(key, set);
    return () => {
      set.delete(controller);
      if (set.size === 0) this.#byThread.delete(key);
    };
  }

  /** Aborts what streams in the thread here; answers how many. */
  stop(channel: string, threadTs: string): number {
    const set = this.#byThread.get(`${channel}:${threadTs}`);
    for (const controller of set ?? []) controller.abort(new StreamStopped('stopped'));
    return set?.size ?? 0;
  }
}

/**
 * The parts until the signal aborts: a stop ends the answer at once, even while the task waits for
 * its model (a task that ignores its signal is left to finish on its own; nothing more is written).
 */
async function* untilAborted<T>(parts: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = parts[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<IteratorResult<T>>((resolve) => {
    onAbort = () => resolve({ done: true, value: undefined });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    while (!signal.aborted) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Ends the task's generator (its `finally` runs) without waiting for it.
    void iterator.return?.()?.catch(() => {});
  }
}

const isStreamTask = (
  entry: TaskTable[string] | undefined,
): entry is Extract<TaskTable[string], { open: unknown }> => entry !== undefined && 'open' in entry;

/**
 * Runs stream effects: earlier tries' half-written messages are closed with a note (the answer is
 * written again from its start: a model does not say the same thing twice, so nothing is appended to
 * an old message), the task runs with a signal that a stop or the time limit aborts, and its parts
 * are written by a `StreamWriter`. A task or Slack failure closes the message and throws: the
 * outbox retries the whole answer.
 */
export function streamRunner(options: StreamRunnerOptions) {
  const local = options.local ?? new LocalStreams();
  const timeLimitMs = options.timeLimitMs ?? STREAM_MAX_MS;

  async function runStream(effect: StreamEffect, target: EffectTarget): Promise<StreamResult> {
    const entry = Object.hasOwn(options.tasks, effect.name) ? options.tasks[effect.name] : undefined;
    if (!isStreamTask(entry))
      throw new EffectError(
        `no stream task named ${effect.name}: declare it in the app's tasks (defineStream)`,
        {
          retryable: false,
        },
      );
    const { channel, thread_ts: threadTs } = effect.to;
    const call = (request: ApiCall) => options.slack(request, target);
    const earlier = await options.store.begin(target.id, channel, threadTs);
    const parts = { id: target.id, to: effect.to, store: options.store, call };
    // A crash while the final stop was on its way: the answer was whole; it is finished, not redone.
    const stopping = earlier.messages.find((message) => message.end === 'stopping' && message.final);
    if (stopping?.final) {
      const end = await resendFinalStop(parts, stopping.ts, stopping.final);
      await options.store.finished(target.id, end);
      const messages = earlier.messages.filter((m) => m.attempt === stopping.attempt).map((m) => m.ts);
      const chars = earlier.calls
        .filter((c) => !c.error && c.call !== 'close' && messages.includes(c.ts ?? ''))
        .reduce((n, c) => n + c.chars, 0);
      return { channel, messages, chars, end };
    }
    for (const message of earlier.messages)
      if (message.end === null) await closeInterrupted(parts, message.ts);

    const controller = new AbortController();
    const stop = (end: Exclude<StreamEnd, 'complete'>) => {
      if (!controller.signal.aborted) controller.abort(new StreamStopped(end));
    };
    if (earlier.stopRequested) stop('stopped');
    const forget = local.add(channel, threadTs, controller);
    const timer = setTimeout(() => stop('time_limit'), timeLimitMs);
    timer.unref?.();
    const writer = new StreamWriter({
      id: target.id,
      attempt: target.attempt,
      to: effect.to,
      store: options.store,
      call,
      intervalMs: options.intervalMs ?? STREAM_INTERVAL_MS,
      expiryMs: options.expiryMs ?? STREAM_EXPIRY_MS,
      renewMs: options.renewMs ?? STREAM_RENEW_MS,
      onStop: stop,
    });
    try {
      const opened = entry.open(effect.input, {
        signal: controller.signal,
        idempotencyKey: `stream:${target.id}`,
        attempt: target.attempt,
      });
      if (!opened.ok) throw new EffectError(`stream ${effect.name}: ${opened.error}`, { retryable: false });
      try {
        for await (const part of untilAborted(opened.parts as AsyncIterable<StreamPart>, controller.signal)) {
          writer.push(part);
          await writer.ready();
        }
      } catch (error) {
        // A task stopped through its signal throws its abort: that is how it ends, not a failure.
        if (!controller.signal.aborted) throw error;
      }
      const reason: unknown = controller.signal.reason;
      const end: StreamEnd = reason instanceof StreamStopped ? reason.end : 'complete';
      await writer.finish(end, effect.blocks);
      await options.store.finished(target.id, end);
      return { channel, messages: [...writer.messages], chars: writer.chars, end };
    } catch (error) {
      await writer.abandon().catch((cause: unknown) => {
        options.logger.warn('a failed answer’s message could not be closed; the retry closes it', {
          id: target.id,
          cause: String(cause),
        });
      });
      await options.store.finished(target.id, 'failed').catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
      forget();
    }
  }

  /** Stops the answers streaming in a thread: here at once, elsewhere at their next call. */
  async function runStopStream(effect: StopStreamEffect): Promise<{ stopped: number }> {
    const here = local.stop(effect.channel, effect.thread_ts);
    const marked = await options.store.requestStop(effect.channel, effect.thread_ts);
    return { stopped: Math.max(here, marked.length) };
  }

  return { stream: runStream, stop_stream: runStopStream, local };
}
