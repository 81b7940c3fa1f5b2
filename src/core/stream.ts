import type { Block, KnownBlock, MarkdownTextChunk, PlanUpdateChunk, TaskUpdateChunk } from '@slack/types';
import type * as z from 'zod';
import {
  type Chainable,
  chainable,
  firstIssue,
  type Next,
  type TaskRunOptions,
  type TaskTable,
} from './conversation.js';

// An answer streamed into Slack: a handler returns a stream effect bound to one of the app's stream
// tasks; the executor runs the task and writes what it yields with `chat.startStream` →
// `appendStream` → `stopStream`, coalesced to Slack's limits, and a crash mid-answer ends in one
// complete answer (src/pipeline/stream). Everything here is data and types.

/**
 * What a stream task yields: markdown text, or a chunk Slack draws beside it (a task's progress in
 * the timeline, a plan's title). https://docs.slack.dev/messaging/sending-and-scheduling-messages#text-streaming
 */
export type StreamPart = string | MarkdownTextChunk | TaskUpdateChunk | PlanUpdateChunk;

/** Where the answer goes: the conversation and thread, and who reads it (required outside a DM). */
export interface StreamTo {
  channel: string;
  thread_ts: string;
  recipient_user_id?: string;
  recipient_team_id?: string;
  /** How task updates are drawn: one by one (`timeline`) or together (`plan`). */
  task_display_mode?: 'timeline' | 'plan';
}

/** An answer streamed from the stream task `name`, run after the ack. */
export interface StreamEffect {
  type: 'stream';
  name: string;
  input: unknown;
  to: StreamTo;
  /** Blocks added to the message when the answer is complete (feedback buttons, say). */
  blocks?: (KnownBlock | Block)[];
  /** The step its result (`StreamResult`) feeds, or its failure for good. */
  next?: Next;
}

/**
 * Stops the answers streaming in a thread (the user pressed stop: `agent_session_stopped`): their
 * tasks are aborted through their signal and each message is closed with what was written.
 */
export interface StopStreamEffect {
  type: 'stop_stream';
  channel: string;
  thread_ts: string;
}

/** How a streamed answer ended. */
export type StreamEnd = 'complete' | 'stopped' | 'time_limit';

/** A stream effect's result, as a `.then` step gets it. */
export interface StreamResult {
  channel: string;
  /** The messages the answer was written into, in order (more than one past Slack's stream expiry). */
  messages: string[];
  /** Characters of markdown written. */
  chars: number;
  end: StreamEnd;
}

/** A stream task: its input's schema, and a runner that yields the answer's parts. */
export interface StreamDeclaration<I = unknown> {
  input: z.ZodType<I>;
  run(input: I, options: TaskRunOptions): AsyncIterable<StreamPart>;
}

/** A declared stream task: `open` checks the input and starts the runner. */
export interface DeclaredStream<I = unknown> extends StreamDeclaration<I> {
  open(
    input: unknown,
    options: TaskRunOptions,
  ): { ok: true; parts: AsyncIterable<StreamPart> } | { ok: false; error: string };
}

/** Declares a stream task (in the app's task table, beside its tasks). */
export function defineStream<I>(declaration: StreamDeclaration<I>): DeclaredStream<I> {
  return {
    ...declaration,
    open(raw, options) {
      const input = declaration.input.safeParse(raw);
      if (!input.success) return { ok: false, error: `input ${firstIssue(input.error)}` };
      return { ok: true, parts: declaration.run(input.data, options) };
    },
  };
}

/** The names of a task table's stream tasks. */
export type StreamNames<Table extends TaskTable> = {
  [N in keyof Table & string]: Table[N] extends DeclaredStream<unknown> ? N : never;
}[keyof Table & string];

/**
 * A `stream(name, input, to)` builder typed by the app's task table: only its stream tasks, with
 * their input types.
 * @example stream('answer', { question }, { channel, thread_ts }, { blocks: feedback }).then('answered')
 */
export function streamBuilder<Table extends TaskTable>() {
  return <N extends StreamNames<Table>>(
    name: N,
    input: Table[N] extends DeclaredStream<infer I> ? I : never,
    to: StreamTo,
    options: { blocks?: (KnownBlock | Block)[] } = {},
  ): Chainable<StreamEffect> =>
    chainable<StreamEffect>({
      type: 'stream',
      name,
      input,
      to,
      ...(options.blocks ? { blocks: options.blocks } : {}),
    });
}

/** Stops what streams in `thread_ts` of `channel` (as `agent_session_stopped` asks). */
export function stopStream(where: { channel: string; thread_ts: string }): StopStreamEffect {
  return { type: 'stop_stream', channel: where.channel, thread_ts: where.thread_ts };
}
