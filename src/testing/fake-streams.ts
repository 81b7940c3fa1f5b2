/**
 * Slack's limit on `markdown_text` in `chat.startStream` / `appendStream` / `stopStream`, in characters.
 * https://docs.slack.dev/reference/methods/chat.appendStream
 */
export const STREAM_TEXT_LIMIT = 12_000;

/** How long a streamed message stays writable after `chat.startStream`: about 5 minutes on Slack. */
export const STREAM_EXPIRY_MS = 5 * 60_000;

/** One piece of text a stream received, and when. */
export interface StreamChunk {
  text: string;
  at: number;
}

/** A message streamed into the fake with `chat.startStream`, as it stands. */
export interface FakeStream {
  channel: string;
  ts: string;
  threadTs: string | null;
  recipientUserId: string | null;
  recipientTeamId: string | null;
  /** Every chunk's text so far, joined. */
  text: string;
  /** The text of `startStream`, each `appendStream` and `stopStream`, in order, when it carried any. */
  chunks: StreamChunk[];
  startedAt: number;
  stopped: boolean;
  stoppedAt: number | null;
  /** Past its expiry without a stop: Slack no longer takes text for it. */
  expired: boolean;
  /** The final blocks `chat.stopStream` carried, or null. */
  blocks: unknown[] | null;
}

type Reply = Record<string, unknown>;

const failure = (error: string): Reply => ({ ok: false, error });
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The text a call carries: `markdown_text`, then the text of its `markdown_text` chunks. */
function textOf(args: Record<string, unknown>): string {
  let text = str(args.markdown_text) ?? '';
  if (Array.isArray(args.chunks))
    for (const chunk of args.chunks)
      if (chunk?.type === 'markdown_text' && typeof chunk.text === 'string') text += chunk.text;
  return text;
}

/**
 * The fake's model of Slack's streamed messages (`chat.startStream` → `appendStream` → `stopStream`).
 * Errors are the ones Slack documents for these methods: `message_not_found`,
 * `message_not_in_streaming_state` (after a stop, and after the expiry: Slack documents no separate
 * error for it), and `msg_too_long` past the 12,000-character limit (Slack documents the limit, not
 * the error; `msg_too_long` is its answer to an over-long `chat.postMessage`).
 */
export class FakeStreams {
  readonly #byTs = new Map<string, FakeStream>();
  #sequence = 0;

  constructor(public expiryMs = STREAM_EXPIRY_MS) {}

  /** Slack's reply to `method` when it is a stream method (updating the stream), else undefined. */
  answer(method: string, args: Record<string, unknown>, now: number): Reply | undefined {
    if (method === 'chat.startStream') return this.#start(args, now);
    if (method === 'chat.appendStream') return this.#append(args, now);
    if (method === 'chat.stopStream') return this.#stop(args, now);
    return undefined;
  }

  all(): FakeStream[] {
    return [...this.#byTs.values()].map((stream) => this.#refresh(stream));
  }

  get(ts: string): FakeStream | undefined {
    const stream = this.#byTs.get(ts);
    return stream && this.#refresh(stream);
  }

  clear(): void {
    this.#byTs.clear();
  }

  #refresh(stream: FakeStream, now = Date.now()): FakeStream {
    stream.expired = !stream.stopped && now - stream.startedAt >= this.expiryMs;
    return stream;
  }

  #start(args: Record<string, unknown>, now: number): Reply {
    const channel = str(args.channel);
    if (!channel) return failure('channel_not_found');
    const text = textOf(args);
    if (text.length > STREAM_TEXT_LIMIT) return failure('msg_too_long');
    const ts = `${Math.floor(now / 1000)}.${String(++this.#sequence).padStart(6, '0')}`;
    this.#byTs.set(ts, {
      channel,
      ts,
      threadTs: str(args.thread_ts),
      recipientUserId: str(args.recipient_user_id),
      recipientTeamId: str(args.recipient_team_id),
      text,
      chunks: text ? [{ text, at: now }] : [],
      startedAt: now,
      stopped: false,
      stoppedAt: null,
      expired: false,
      blocks: null,
    });
    return { ok: true, channel, ts };
  }

  /** Adds a call's text to the stream it names; answers that stream, or the error Slack would. */
  #write(args: Record<string, unknown>, now: number): FakeStream | string {
    const stream = this.#byTs.get(str(args.ts) ?? '');
    if (!stream || stream.channel !== args.channel) return 'message_not_found';
    if (this.#refresh(stream, now).stopped || stream.expired) return 'message_not_in_streaming_state';
    const text = textOf(args);
    if (text.length > STREAM_TEXT_LIMIT) return 'msg_too_long';
    if (text) {
      stream.text += text;
      stream.chunks.push({ text, at: now });
    }
    return stream;
  }

  #append(args: Record<string, unknown>, now: number): Reply {
    if (!textOf(args) && !Array.isArray(args.chunks)) return failure('no_text');
    const stream = this.#write(args, now);
    if (typeof stream === 'string') return failure(stream);
    return { ok: true, channel: stream.channel, ts: stream.ts };
  }

  #stop(args: Record<string, unknown>, now: number): Reply {
    const stream = this.#write(args, now);
    if (typeof stream === 'string') return failure(stream);
    stream.stopped = true;
    stream.stoppedAt = now;
    if (Array.isArray(args.blocks)) stream.blocks = args.blocks;
    const message: Reply = {
      type: 'message',
      subtype: 'bot_message',
      text: stream.text,
      ts: stream.ts,
      thread_ts: stream.threadTs ?? undefined,
      bot_id: 'B0BOT0001',
      ...(stream.blocks ? { blocks: stream.blocks } : {}),
    };
    return { ok: true, channel: stream.channel, ts: stream.ts, message };
  }
}
