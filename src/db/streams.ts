import type { RawSql } from './database.js';

// A streamed answer's progress, one row per stream effect (its outbox row): the messages it was
// written into and whether each was closed, every Slack call with its time, and a stop asked for
// by the user. What a retry after a crash reads to close a half-written message, what another
// process's stop reaches the streamer through, and what the inspector draws.

/** A message an answer was streamed into. `end` is null while it may still be streaming. */
export interface StreamMessage {
  ts: string;
  at: string;
  attempt: number;
  /** `stopping`: the final `chat.stopStream` was on its way (with `final`); a retry sends it again. */
  end: 'complete' | 'continued' | 'interrupted' | 'stopped' | 'time_limit' | 'stopping' | null;
  /** The arguments of the final stop, kept while it is on its way. */
  final?: Record<string, unknown>;
}

/** One Slack call of a stream: which, when, how long, how much text (its start, for people). */
export interface StreamCall {
  call: 'start' | 'append' | 'stop' | 'close';
  at: string;
  ms: number;
  ts: string | null;
  chars: number;
  /** Other chunks it carried (task and plan updates). */
  parts: number;
  /** The first characters of its text. */
  text: string;
  error?: string;
}

/** A stream's row, as the streamer and the inspector read it. */
export interface StreamRow {
  outboxId: number;
  channel: string;
  threadTs: string;
  status: 'streaming' | 'complete' | 'stopped' | 'time_limit' | 'failed';
  messages: StreamMessage[];
  calls: StreamCall[];
  stopRequested: boolean;
  updatedAt: string;
}

/** The longest part of a call's text kept for the inspector. */
export const CALL_TEXT_KEPT = 200;

const BEGIN_SQL = `
insert into streams (outbox_id, channel, thread_ts, status, updated_at)
values ($1, $2, $3, 'streaming', $4::timestamptz)
on conflict (outbox_id) do update set status = 'streaming', updated_at = excluded.updated_at
returning messages, calls, stop_requested_at is not null as stop_requested`;

const MESSAGE_SQL = `
update streams set messages = messages || $2::jsonb, updated_at = $3::timestamptz
where outbox_id = $1`;

const END_MESSAGE_SQL = `
update streams
set messages = (
      select coalesce(jsonb_agg(case when m->>'ts' = $2 then jsonb_set(m, '{end}', to_jsonb($3::text)) else m end), '[]'::jsonb)
      from jsonb_array_elements(messages) m),
    updated_at = $4::timestamptz
where outbox_id = $1`;

const STOPPING_SQL = `
update streams
set messages = (
      select coalesce(jsonb_agg(case when m->>'ts' = $2
        then m || jsonb_build_object('end', 'stopping', 'final', $3::jsonb) else m end), '[]'::jsonb)
      from jsonb_array_elements(messages) m),
    updated_at = $4::timestamptz
where outbox_id = $1`;

const CALL_SQL = `
update streams set calls = calls || $2::jsonb, updated_at = $3::timestamptz
where outbox_id = $1
returning stop_requested_at is not null as stop_requested`;

const STATUS_SQL = `update streams set status = $2, updated_at = $3::timestamptz where outbox_id = $1`;

const STOP_SQL = `
update streams set stop_requested_at = $3::timestamptz, updated_at = $3::timestamptz
where channel = $1 and thread_ts = $2 and status = 'streaming'
returning outbox_id`;

const READ_SQL = `
select outbox_id, channel, thread_ts, status, messages, calls,
       stop_requested_at is not null as stop_requested, updated_at
from streams where outbox_id = any($1::bigint[]) order by outbox_id`;

const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const iso = (date: Date) => date.toISOString();

/** The stream store over raw statements (one each: the streamer waits for them between Slack calls). */
export class StreamStore {
  constructor(
    private readonly raw: RawSql,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Starts (or, on a retry, takes up again) the stream of outbox row `id`: the messages earlier tries wrote. */
  async begin(
    id: number,
    channel: string,
    threadTs: string,
  ): Promise<{ messages: StreamMessage[]; calls: StreamCall[]; stopRequested: boolean }> {
    const rows = await this.raw(BEGIN_SQL, [id, channel, threadTs, iso(this.now())]);
    const row = rows[0] as { messages: unknown; calls: unknown; stop_requested: boolean } | undefined;
    return {
      messages: (json(row?.messages) as StreamMessage[] | undefined) ?? [],
      calls: (json(row?.calls) as StreamCall[] | undefined) ?? [],
      stopRequested: row?.stop_requested ?? false,
    };
  }

  /** The final stop of message `ts` is about to be sent with `final`: a retry after a crash sends it again. */
  async stopping(id: number, ts: string, final: Record<string, unknown>): Promise<void> {
    await this.raw(STOPPING_SQL, [id, ts, JSON.stringify(final), iso(this.now())]);
  }

  /** A message was started: written before anything is appended to it, so a retry can close it. */
  async started(id: number, message: StreamMessage): Promise<void> {
    await this.raw(MESSAGE_SQL, [id, JSON.stringify([message]), iso(this.now())]);
  }

  /** A message will take no more text, and why. */
  async ended(id: number, ts: string, end: Exclude<StreamMessage['end'], 'stopping' | null>): Promise<void> {
    await this.raw(END_MESSAGE_SQL, [id, ts, end, iso(this.now())]);
  }

  /** A Slack call was made; answers whether a stop was asked for meanwhile (by any process). */
  async called(id: number, call: StreamCall): Promise<boolean> {
    const rows = await this.raw(CALL_SQL, [id, JSON.stringify([call]), iso(this.now())]);
    return (rows[0] as { stop_requested?: boolean } | undefined)?.stop_requested === true;
  }

  async finished(id: number, status: StreamRow['status']): Promise<void> {
    await this.raw(STATUS_SQL, [id, status, iso(this.now())]);
  }

  /** Asks every answer streaming in the thread to stop; answers the outbox ids it reached. */
  async requestStop(channel: string, threadTs: string): Promise<number[]> {
    const rows = await this.raw(STOP_SQL, [channel, threadTs, iso(this.now())]);
    return rows.map((row) => Number((row as { outbox_id: unknown }).outbox_id));
  }

  /** The streams of these outbox rows (for the inspector). */
  async read(ids: number[]): Promise<StreamRow[]> {
    if (ids.length === 0) return [];
    const rows = (await this.raw(READ_SQL, [`{${ids.join(',')}}`])) as Record<string, unknown>[];
    return rows.map((row) => ({
      outboxId: Number(row.outbox_id),
      channel: String(row.channel),
      threadTs: String(row.thread_ts),
      status: row.status as StreamRow['status'],
      messages: (json(row.messages) as StreamMessage[]) ?? [],
      calls: (json(row.calls) as StreamCall[]) ?? [],
      stopRequested: row.stop_requested === true,
      updatedAt: row.updated_at instanceof Date ? iso(row.updated_at) : String(row.updated_at),
    }));
  }
}
