import type { AnyChunk, Block, KnownBlock } from '@slack/types';
import type { ApiCall, ApiMethod } from '../../core/action.js';
import { EffectError } from '../../core/errors.js';
import type { StreamEnd, StreamPart, StreamTo } from '../../core/stream.js';
import { CALL_TEXT_KEPT, type StreamCall, type StreamMessage, type StreamStore } from '../../db/streams.js';

// Writes one answer into Slack: the first part starts a message at once (the user sees it as soon
// as the model says something), later parts are coalesced into one `chat.appendStream` per
// interval, each call within Slack's text limit; a message nearing Slack's stream expiry is
// stopped and the answer continues in a new one; the last text rides on `chat.stopStream`.

/** Slack's limit on the markdown text of one stream call, in characters. */
export const STREAM_TEXT_LIMIT = 12_000;
/** A streamed message stays writable about 5 minutes after its start. */
export const STREAM_EXPIRY_MS = 5 * 60_000;

/** What a half-written message is closed with when its answer is redone (after a crash or a failure). */
export const INTERRUPTED_NOTE = '\n\n_This answer was interrupted; it is written again below._';
/** What an answer cut short by its time limit ends with. */
export const TIME_LIMIT_NOTE = '\n\n_The answer was cut short: it took too long._';
/** An answer whose task yielded nothing. */
export const EMPTY_ANSWER = '_No answer._';

export interface WriterOptions {
  id: number;
  attempt: number;
  to: StreamTo;
  store: StreamStore;
  /** One Web API call (the executor's Slack runner: token, retries, short rate limits). */
  call: (call: ApiCall) => Promise<unknown>;
  /** Least time between two calls for this answer. */
  intervalMs: number;
  expiryMs: number;
  /** A message is continued in a new one this long before its expiry. */
  renewMs: number;
  /** The user (or the time limit) stopped the answer: the writer saw it first. */
  onStop: (end: Exclude<StreamEnd, 'complete'>) => void;
  now?: () => number;
}

type Call = { method: ApiMethod; args: Record<string, unknown> };

const isStreamStopped = (error: unknown) =>
  error instanceof EffectError && error.message === 'message_not_in_streaming_state';

/** The message is not there any more (deleted, or its channel gone). */
const isGone = (error: unknown) =>
  error instanceof EffectError &&
  (error.message === 'message_not_found' || error.message === 'channel_not_found');

/** The text and other chunks of one call, taken from the front of the buffer. */
interface Batch {
  text: string;
  chunks: AnyChunk[];
}

export class StreamWriter {
  readonly #options: WriterOptions;
  readonly #now: () => number;
  /** What is waiting to be written: text merged, other chunks in their place. */
  #buffer: AnyChunk[] = [];
  #buffered = 0;
  #current: { ts: string; startedAt: number } | null = null;
  readonly #messages: string[] = [];
  #chars = 0;
  #lastCallAt = Number.NEGATIVE_INFINITY;
  #flushing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #failure: unknown = null;
  #closed = false;

  constructor(options: WriterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get messages(): readonly string[] {
    return this.#messages;
  }

  get chars(): number {
    return this.#chars;
  }

  /** Adds a part; a call follows now or when the interval allows. Throws a write that failed. */
  push(part: StreamPart): void {
    this.#throwFailure();
    if (this.#closed) return;
    const chunk: AnyChunk = typeof part === 'string' ? { type: 'markdown_text', text: part } : part;
    if (chunk.type === 'markdown_text') {
      if (chunk.text === '') return;
      const last = this.#buffer.at(-1);
      if (last?.type === 'markdown_text') last.text += chunk.text;
      else this.#buffer.push({ type: 'markdown_text', text: chunk.text });
      this.#buffered += chunk.text.length;
    } else this.#buffer.push(chunk);
    this.#schedule();
  }

  /** Waits while more than a call's worth is waiting (the task is paused instead of buffering without end). */
  async ready(): Promise<void> {
    while (this.#buffered > STREAM_TEXT_LIMIT && this.#flushing && !this.#closed) await this.#flushing;
    this.#throwFailure();
  }

  /** Writes what is left and stops the message: with `blocks` when complete, a note when cut short. */
  async finish(end: StreamEnd, blocks: (KnownBlock | Block)[] | undefined): Promise<void> {
    this.#cancelTimer();
    while (this.#flushing) await this.#flushing;
    this.#throwFailure();
    if (end === 'time_limit') this.push(TIME_LIMIT_NOTE);
    if (!this.#current && this.#buffer.length === 0) {
      if (this.#messages.length > 0 || end !== 'complete') return this.#close();
      this.push(EMPTY_ANSWER); // a message with the final blocks, so the user is answered
    }
    // All but the last call's worth first; the last rides on the stop.
    while (!this.#closed && (this.#buffered > STREAM_TEXT_LIMIT || !this.#current))
      await this.#write(this.#take());
    this.#throwFailure();
    const current = this.#current;
    if (!current || this.#closed) return this.#close();
    const batch = this.#take();
    const finalBlocks = end === 'complete' ? blocks : undefined;
    // Kept first: a crash while the stop is on its way is followed by the same stop, not a redo.
    const { args } = callFor('stop', this.#options.to, current.ts, batch, finalBlocks);
    await this.#options.store.stopping(this.#options.id, current.ts, { ...args, end });
    try {
      await this.#call('stop', current.ts, batch, finalBlocks);
    } catch (error) {
      if (!isStreamStopped(error)) throw error; // Slack stopped it already (the user pressed stop)
    }
    await this.#end(current.ts, end === 'complete' ? 'complete' : end);
    this.#close();
  }

  /** After a failure: the message being written is closed with a note (best effort), so the redo reads right. */
  async abandon(): Promise<void> {
    this.#cancelTimer();
    while (this.#flushing) await this.#flushing.catch(() => {});
    this.#close();
    const current = this.#current;
    if (!current) return;
    this.#current = null;
    await closeInterrupted(this.#options, current.ts);
  }

  #close(): void {
    this.#closed = true;
    this.#cancelTimer();
  }

  #throwFailure(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  #cancelTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#flushing || this.#timer || this.#closed || this.#buffer.length === 0) return;
    // The first words go out at once, also when only a task update came before them.
    const first = this.#chars === 0 && this.#buffered > 0;
    const wait = this.#current && !first ? this.#lastCallAt + this.#options.intervalMs - this.#now() : 0;
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#schedule();
      }, wait);
      return;
    }
    this.#flushing = this.#write(this.#take())
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => {
        this.#flushing = null;
        this.#schedule();
      });
  }

  /** Up to a call's worth from the front of the buffer. */
  #take(): Batch {
    const batch: Batch = { text: '', chunks: [] };
    let room = STREAM_TEXT_LIMIT;
    while (this.#buffer.length > 0) {
      const chunk = this.#buffer[0];
      if (!chunk) break;
      if (chunk.type !== 'markdown_text') {
        batch.chunks.push(chunk);
        this.#buffer.shift();
        continue;
      }
      const piece = chunk.text.slice(0, room);
      room -= piece.length;
      this.#buffered -= piece.length;
      // Text after another chunk keeps its place: it goes in `chunks` too.
      if (batch.chunks.length > 0) batch.chunks.push({ type: 'markdown_text', text: piece });
      else batch.text += piece;
      if (piece.length < chunk.text.length) {
        chunk.text = chunk.text.slice(piece.length);
        break;
      }
      this.#buffer.shift();
      if (room === 0) break;
    }
    return batch;
  }

  /** Writes a batch: into the message being written, or a new one (the first, or past the expiry). */
  async #write(batch: Batch): Promise<void> {
    const current = this.#current;
    if (current && this.#now() - current.startedAt >= this.#options.expiryMs - this.#options.renewMs) {
      await this.#continueAfter(current.ts);
      return this.#write(batch);
    }
    if (!current) return this.#start(batch);
    try {
      await this.#call('append', current.ts, batch);
    } catch (error) {
      if (!isStreamStopped(error)) throw error;
      // Slack no longer takes text for it: expired (a new message takes the text), or stopped by the user.
      if (this.#now() - current.startedAt >= this.#options.expiryMs - this.#options.renewMs * 2) {
        await this.#end(current.ts, 'continued');
        this.#current = null;
        return this.#start(batch);
      }
      await this.#end(current.ts, 'stopped');
      this.#current = null;
      this.#options.onStop('stopped');
      this.#close();
    }
  }

  /** Stops a message before its expiry; the answer goes on in a new one. */
  async #continueAfter(ts: string): Promise<void> {
    try {
      await this.#call('stop', ts, { text: '', chunks: [] });
    } catch (error) {
      if (!isStreamStopped(error)) throw error;
    }
    await this.#end(ts, 'continued');
    this.#current = null;
  }

  async #start(batch: Batch): Promise<void> {
    const startedAt = this.#now();
    const result = await this.#call('start', null, batch);
    const ts = typeof result === 'object' && result !== null && 'ts' in result ? String(result.ts) : '';
    if (!ts) throw new EffectError('chat.startStream answered no ts', { retryable: true });
    this.#current = { ts, startedAt };
    this.#messages.push(ts);
    // Written before anything is appended: a retry after a crash finds it and closes it.
    const message: StreamMessage = {
      ts,
      at: new Date(startedAt).toISOString(),
      attempt: this.#options.attempt,
      end: null,
    };
    await this.#options.store.started(this.#options.id, message);
  }

  async #end(ts: string, end: Exclude<StreamMessage['end'], 'stopping' | null>): Promise<void> {
    await this.#options.store.ended(this.#options.id, ts, end);
  }

  /** One Slack call, then its line in the stream's log (which answers a stop asked for meanwhile). */
  async #call(
    kind: 'start' | 'append' | 'stop',
    ts: string | null,
    batch: Batch,
    blocks?: (KnownBlock | Block)[],
  ): Promise<unknown> {
    const { to } = this.#options;
    const request = callFor(kind, to, ts, batch, blocks);
    const started = this.#now();
    this.#lastCallAt = started;
    let result: unknown;
    let failure: unknown = null;
    try {
      result = await this.#options.call({ type: 'api', method: request.method, args: request.args });
    } catch (error) {
      failure = error;
    }
    const answeredTs =
      typeof result === 'object' && result !== null && 'ts' in result ? String(result.ts) : ts;
    const line: StreamCall = {
      call: kind,
      at: new Date(started).toISOString(),
      ms: this.#now() - started,
      ts: answeredTs,
      chars:
        batch.text.length +
        batch.chunks.reduce((n, c) => n + (c.type === 'markdown_text' ? c.text.length : 0), 0),
      parts: batch.chunks.filter((c) => c.type !== 'markdown_text').length,
      text: textOf(batch).slice(0, CALL_TEXT_KEPT),
      ...(failure ? { error: failure instanceof Error ? failure.message : String(failure) } : {}),
    };
    if (!failure) this.#chars += line.chars;
    const stop = await this.#options.store.called(this.#options.id, line);
    if (failure) throw failure;
    if (stop) this.#options.onStop('stopped');
    return result;
  }
}

/** All the markdown a batch carries, in order. */
function textOf(batch: Batch): string {
  return batch.text + batch.chunks.map((c) => (c.type === 'markdown_text' ? c.text : '')).join('');
}

/** The Web API request for one stream call. */
function callFor(
  kind: 'start' | 'append' | 'stop',
  to: StreamTo,
  ts: string | null,
  batch: Batch,
  blocks?: (KnownBlock | Block)[],
): Call {
  const content: Record<string, unknown> =
    batch.chunks.length > 0
      ? { chunks: batch.text ? [{ type: 'markdown_text', text: batch.text }, ...batch.chunks] : batch.chunks }
      : batch.text
        ? { markdown_text: batch.text }
        : {};
  if (kind === 'start') return { method: 'chat.startStream', args: { ...to, ...content } };
  const target = { channel: to.channel, ts: ts ?? '' };
  if (kind === 'append') return { method: 'chat.appendStream', args: { ...target, ...content } };
  return { method: 'chat.stopStream', args: { ...target, ...content, ...(blocks ? { blocks } : {}) } };
}

/** Closes a message an earlier try left streaming, with a note; one Slack already closed is just marked. */
export async function closeInterrupted(
  options: Pick<WriterOptions, 'id' | 'to' | 'store' | 'call'>,
  ts: string,
): Promise<void> {
  const args = { channel: options.to.channel, ts, markdown_text: INTERRUPTED_NOTE };
  const started = Date.now();
  let error: string | undefined;
  try {
    await options.call({ type: 'api', method: 'chat.stopStream', args });
  } catch (failure) {
    // Past its expiry or stopped already: Slack closed it. Deleted: there is nothing left to close.
    if (!isStreamStopped(failure) && !isGone(failure))
      error = failure instanceof Error ? failure.message : String(failure);
  }
  await options.store.called(options.id, {
    call: 'close',
    at: new Date(started).toISOString(),
    ms: Date.now() - started,
    ts,
    chars: INTERRUPTED_NOTE.length,
    parts: 0,
    text: INTERRUPTED_NOTE.trim(),
    ...(error ? { error } : {}),
  });
  if (error) throw new EffectError(`closing the interrupted message: ${error}`, { retryable: true });
  await options.store.ended(options.id, ts, 'interrupted');
}

/**
 * Sends again the final stop a crash interrupted (kept with the message): Slack either takes it
 * now, or took it before the crash and answers that the message no longer streams. Either way the
 * answer is whole and is not written again. Answers how it ended.
 */
export async function resendFinalStop(
  options: Pick<WriterOptions, 'id' | 'store' | 'call'>,
  ts: string,
  final: Record<string, unknown>,
): Promise<StreamEnd> {
  const { end: kept, ...args } = final;
  const end: StreamEnd = kept === 'stopped' || kept === 'time_limit' ? kept : 'complete';
  const started = Date.now();
  let error: string | undefined;
  try {
    await options.call({ type: 'api', method: 'chat.stopStream', args });
  } catch (failure) {
    if (!isStreamStopped(failure)) error = failure instanceof Error ? failure.message : String(failure);
  }
  await options.store.called(options.id, {
    call: 'stop',
    at: new Date(started).toISOString(),
    ms: Date.now() - started,
    ts,
    chars: typeof args.markdown_text === 'string' ? args.markdown_text.length : 0,
    parts: 0,
    text: typeof args.markdown_text === 'string' ? args.markdown_text.slice(0, CALL_TEXT_KEPT) : '',
    ...(error ? { error } : {}),
  });
  if (error) throw new EffectError(`sending the final stop again: ${error}`, { retryable: true });
  await options.store.ended(options.id, ts, end);
  return end;
}
