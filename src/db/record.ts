import * as z from 'zod';
import type { NormalizedEvent } from '../core/event.js';
import { RecordAdmission } from './admission.js';
import { BatchQueue } from './batch.js';
import type { RawSql } from './database.js';
import { type Claimed, iso, LEASE_MS, type Lease, LeasedRowSchema } from './outbox.js';
import { rows } from './rows.js';
import { classifyDatabaseError, storableJson, storableText } from './sqlstate.js';

/** What recording a delivery found; `claimed` are its effects, already leased to the caller when it asked. */
export type RecordResult<E> =
  | { status: 'recorded'; deliveryId: number; effects: number; claimed: Claimed<E>[] }
  | { status: 'duplicate' };

/** One delivery to record, with its effects (any JSON object). */
export interface ToRecord<E> {
  event: NormalizedEvent;
  effects: E[];
  /** `kind:name` of the handler that returned them, kept for the inspector. */
  handler?: string | null;
}

// One statement for any number of deliveries: dedup keys are unique, so a delivery seen before
// inserts nothing. Raw SQL: it runs before every ack, and through the ORM it cost twice as much.
const RECORD_SQL = `
  with input as (
    select * from jsonb_to_recordset($1::text::jsonb)
      as x(dedup_key text, kind text, team_id text, enterprise_id text, effects jsonb,
           name text, source text, channel_id text, user_id text, handler text)
  ), d as (
    insert into deliveries (dedup_key, kind, team_id, received_at, name, source, channel_id, user_id, handler)
    select dedup_key, kind, team_id, $2::text::timestamptz, name, source, channel_id, user_id, handler from input
    on conflict (dedup_key) do nothing
    returning id, dedup_key
  ), o as (
    insert into outbox (delivery_id, position, action, team_id, enterprise_id, next_attempt_at, updated_at,
                        status, attempts, locked_until, locked_by)
    select d.id, e.ord - 1, e.value, i.team_id, i.enterprise_id, $2::text::timestamptz, $2::text::timestamptz,
           case when $3::text is null then 'pending' else 'running' end,
           case when $3::text is null then 0 else 1 end,
           $3::text::timestamptz, $4::text
    from d join input i using (dedup_key), jsonb_array_elements(i.effects) with ordinality as e(value, ord)
    returning id, delivery_id, position, team_id, enterprise_id, attempts
  )
  select o.*, d.dedup_key from o join d on d.id = o.delivery_id`;

// The effects themselves are not read back: the caller has them.
const RecordedRow = LeasedRowSchema.extend({ dedup_key: z.string() });

/** What `lease` may be: `true` is a lease with no owner for `LEASE_MS`. */
type LeaseOption = boolean | Lease | null | undefined;

const leaseOf = (option: LeaseOption): Lease | null =>
  option === true ? { owner: null, ms: LEASE_MS } : option ? option : null;

/**
 * Records deliveries and their effects in one statement, each `recorded` or `duplicate`.
 * With a `lease` the effects are recorded already claimed by the caller (it runs them right after
 * the ack), for its owner: no claim query on the hot path. A crash before they ran frees them when
 * the owner's lock goes free, or (no owner) when the lease ends.
 */
export async function recordDeliveries<E>(
  raw: RawSql,
  batch: ToRecord<E>[],
  now: Date,
  options: { lease?: LeaseOption } = {},
): Promise<RecordResult<E>[]> {
  // One row per key, the first one's: a key twice in the input would attach both rows' effects to
  // its delivery. Keys as stored (NUL stripped), so the rows read back find their delivery.
  const keys = batch.map((item) => storableText(item.event.deliveryId));
  const unique = new Map<string, ToRecord<E>>();
  const input = [];
  for (const [i, item] of batch.entries()) {
    const key = keys[i] ?? '';
    if (unique.has(key)) continue;
    unique.set(key, item);
    const { event, effects, handler } = item;
    input.push({
      dedup_key: key,
      kind: event.kind,
      team_id: event.teamId,
      enterprise_id: event.enterpriseId,
      effects,
      // What the inspector lists, written with the row: no second statement per delivery.
      name: event.name,
      source: event.source,
      channel_id: event.channelId,
      user_id: event.userId,
      handler: handler ?? null,
    });
  }
  const lease = leaseOf(options.lease);
  const until = lease ? iso(new Date(now.getTime() + lease.ms)) : null;
  // jsonb refuses \u0000: a handler may echo a user's text that holds one, and that delivery is legitimate.
  const result = await raw(RECORD_SQL, [storableJson(input), iso(now), until, lease?.owner ?? null]);
  const byKey = new Map<string, Claimed<E>[]>();
  for (const row of rows(result, RecordedRow)) {
    const effect = unique.get(row.dedup_key)?.effects[row.position];
    if (effect === undefined) continue; // cannot happen: every row came from an input effect
    const { id, delivery_id, position, team_id, enterprise_id, attempts } = row;
    const claimed = { id, delivery_id, position, team_id, enterprise_id, attempts, effect };
    const found = byKey.get(row.dedup_key);
    if (found) found.push(claimed);
    else byKey.set(row.dedup_key, [claimed]);
  }
  return keys.map((key) => {
    const claimed = byKey.get(key);
    // The same key twice in one batch: the first records it, the rest are duplicates.
    if (!claimed) return { status: 'duplicate' };
    byKey.delete(key);
    if (claimed.length > 1) claimed.sort((a, b) => a.position - b.position);
    return {
      status: 'recorded',
      deliveryId: claimed[0]?.delivery_id ?? 0,
      effects: claimed.length,
      claimed: options.lease ? claimed : [],
    };
  });
}

/** Records one delivery (at least one effect): `duplicate` when its key was seen before. */
export async function recordDelivery<E>(
  raw: RawSql,
  event: NormalizedEvent,
  effects: E[],
  now: Date,
  options: { lease?: LeaseOption } = {},
): Promise<RecordResult<E>> {
  const [result] = await recordDeliveries(raw, [{ event, effects }], now, options);
  return result ?? { status: 'duplicate' };
}

/**
 * Deliveries waiting to be recorded, past which the next is refused whatever the store's speed: a
 * bound on memory (each holds its event and effects) for a store that hangs.
 */
export const MAX_WAITING_RECORDS = 10_000;

/** RECORD_DEADLINE_MS's default: admission refuses what would not be recorded within it. */
export const DEFAULT_RECORD_DEADLINE_MS = 2_000;

/** The store cannot record this delivery in time (it is slow or gone): refuse, do not queue. */
export class RecorderBusyError extends Error {
  override readonly name = 'RecorderBusyError';
}

/** A delivery waiting for its batch to be recorded. */
interface Waiting<E> {
  item: ToRecord<E>;
  resolve: (result: RecordResult<E>) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: deliveries that arrive together (a burst, many concurrent requests) are recorded
 * in one statement and one transaction, one statement at a time, so batches grow with the load.
 * A lone delivery waits one turn of the event loop. Admission (`RecordAdmission`): a delivery that
 * the store, at the speed it records now, would not record within `deadlineMs` is refused at once,
 * as is any past `maxWaiting` waiting; the rest queue, however many a burst brings.
 */
export class DeliveryRecorder<E> {
  readonly #queue: BatchQueue<Waiting<E>>;
  readonly #lease: LeaseOption;
  readonly #now: () => Date;
  readonly #maxWaiting: number;
  readonly #admission: RecordAdmission;
  #waiting = 0;

  constructor(
    private readonly raw: RawSql,
    options: {
      lease?: LeaseOption;
      now?: () => Date;
      maxBatch?: number;
      maxWaiting?: number;
      /** RECORD_DEADLINE_MS: what would wait longer is refused at once (default 2000). */
      deadlineMs?: number;
      /** The admission's clock, in ms (default `performance.now`). */
      clock?: () => number;
    } = {},
  ) {
    const maxBatch = options.maxBatch ?? 200;
    this.#lease = options.lease;
    this.#now = options.now ?? (() => new Date());
    this.#maxWaiting = options.maxWaiting ?? MAX_WAITING_RECORDS;
    this.#admission = new RecordAdmission({
      deadlineMs: options.deadlineMs ?? DEFAULT_RECORD_DEADLINE_MS,
      maxBatch,
      clock: options.clock,
    });
    this.#queue = new BatchQueue((batch) => this.#recordBatch(batch), { maxBatch });
  }

  /** Records `event` with its effects, together with whatever else is being recorded now. */
  record(event: NormalizedEvent, effects: E[], handler: string | null = null): Promise<RecordResult<E>> {
    const queued = this.#waiting - this.#admission.running;
    if (this.#waiting >= this.#maxWaiting || !this.#admission.admits(queued)) {
      const ms = Math.round(this.#admission.expectedWaitMs(queued));
      return Promise.reject(
        new RecorderBusyError(
          `${this.#waiting} deliveries are already waiting for the store (this one would wait about ${ms} ms)`,
        ),
      );
    }
    this.#waiting++;
    // One promise per delivery, settled by its batch: no wrapper around a batched call.
    return new Promise((resolve, reject) =>
      this.#queue.push({ item: { event, effects, handler }, resolve, reject }),
    );
  }

  /** Records one batch and settles each of its deliveries; never rejects. */
  async #recordBatch(batch: Waiting<E>[]): Promise<void> {
    const items = batch.map((waiting) => waiting.item);
    let now = new Date();
    let results: (RecordResult<E> | { status: 'failed'; error: unknown })[];
    this.#admission.started(batch.length);
    try {
      now = this.#now();
      results = await recordDeliveries(this.raw, items, now, { lease: this.#lease });
      this.#admission.ended(true);
    } catch (error) {
      this.#admission.ended(false);
      if (items.length < 2 || classifyDatabaseError(error) !== 'data') {
        this.#waiting -= batch.length;
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      // One delivery's bad data must not fail the others recorded with it: each alone, in turn.
      results = [];
      for (const item of items) {
        results.push(
          await recordDeliveries(this.raw, [item], now, { lease: this.#lease }).then(
            ([result]) => result ?? { status: 'duplicate' as const },
            (cause: unknown) => ({ status: 'failed' as const, error: cause }),
          ),
        );
      }
    }
    this.#waiting -= batch.length;
    for (const [i, waiting] of batch.entries()) {
      const result = results[i] ?? { status: 'duplicate' };
      if (result.status === 'failed') waiting.reject(result.error);
      else waiting.resolve(result);
    }
  }
}
