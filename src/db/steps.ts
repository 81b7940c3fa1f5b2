import { sql } from 'drizzle-orm';
import * as z from 'zod';
import type { EffectEnd } from '../core/step-event.js';
import { redactValue } from '../log/redact.js';
import { batched } from './batch.js';
import type { Database, RawSql } from './database.js';
import { type Claimed, iso, type Lease } from './outbox.js';
import { rows } from './rows.js';

export type { EffectEnd } from '../core/step-event.js';

/** The step delivery an effect's end starts, and the effects its handler returned. */
export interface StepRecord<E> {
  dedupKey: string;
  name: string;
  teamId: string | null;
  enterpriseId: string | null;
  channelId: string | null;
  userId: string | null;
  handler: string | null;
  effects: E[];
}

/** What `recordStep` did: the step's effects leased to the caller, or why there is nothing to run. */
export type StepRecorded<E> =
  | { status: 'recorded'; deliveryId: number; claimed: Claimed<E>[] }
  | { status: 'duplicate' }
  | { status: 'lost' };

// One statement ends any number of effects and records the steps they feed, with the steps' effects:
// a statement is atomic, so each effect's end and its step commit together (or not at all), and the
// steps that arrive together share one round trip and one commit (a transaction each cost five).
const STEPS_SQL = `
  with input as materialized (
    select * from jsonb_to_recordset($1::text::jsonb)
      as x(effect_id bigint, status text, result jsonb, error text, dedup_key text, name text,
           team_id text, enterprise_id text, channel_id text, user_id text, handler text, effects jsonb)
  ), ended as (
    update outbox o
    set status = i.status, result = i.result, last_error = i.error, locked_until = null,
        updated_at = $2::text::timestamptz
    -- By primary key whatever the statistics say: a fresh table's may claim few running rows.
    from input i where o.id = any(array(select effect_id from input)) and o.id = i.effect_id and o.status = 'running'
    returning o.id
  ), d as (
    insert into deliveries (dedup_key, kind, team_id, received_at, name, source, channel_id, user_id, handler)
    select i.dedup_key, 'step', i.team_id, $2::text::timestamptz, i.name, 'step', i.channel_id, i.user_id, i.handler
    from input i join ended e on e.id = i.effect_id
    on conflict (dedup_key) do nothing
    returning id, dedup_key
  ), o as (
    insert into outbox (delivery_id, position, action, team_id, enterprise_id, next_attempt_at, updated_at,
                        status, attempts, locked_until, locked_by)
    select d.id, e.ord - 1, e.value, i.team_id, i.enterprise_id, $2::text::timestamptz, $2::text::timestamptz,
           'running', 1, $3::text::timestamptz, $4::text
    from d join input i using (dedup_key), jsonb_array_elements(i.effects) with ordinality as e(value, ord)
    returning id, delivery_id, position, team_id, enterprise_id, attempts
  )
  select 'ended' as what, id, null::bigint as delivery_id, null::int as position, null::text as dedup_key,
         null::text as team_id, null::text as enterprise_id, null::int as attempts from ended
  union all select 'step', id, null, null, dedup_key, null, null, null from d
  union all select 'effect', id, delivery_id, position, null, team_id, enterprise_id, attempts from o`;

const ResultRow = z.object({
  what: z.enum(['ended', 'step', 'effect']),
  id: z.coerce.number(),
  delivery_id: z.coerce.number().nullable(),
  position: z.coerce.number().nullable(),
  dedup_key: z.string().nullable(),
  team_id: z.string().nullable(),
  enterprise_id: z.string().nullable(),
  attempts: z.coerce.number().nullable(),
});

type Settled<E> = { ok: true; value: StepRecorded<E> } | { ok: false; error: unknown };

interface Pending<E> {
  effectId: number;
  step: StepRecord<E>;
  /** The row of `input`, serialized when it was asked for: a value JSON cannot hold fails that call alone. */
  json: string;
}

/**
 * Ends effects and records the steps they feed, batched (group commit, as deliveries are recorded).
 * Each step is recorded with its effect's end atomically; the step's effects come back leased to
 * `lease`. A step's key derives from its effect, so it is recorded once whoever ends the effect.
 * `lost`: the effect is no longer the caller's to end (another process took it): nothing is written.
 * The result is kept redacted (an OAuth method's answer holds tokens); the step gets it whole, in memory.
 */
export class StepRecorder<E> {
  readonly #record: (item: Pending<E>) => Promise<Settled<E>>;

  constructor(
    private readonly raw: RawSql,
    private readonly lease: Lease,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#record = batched((items: Pending<E>[]) => this.#recordAll(items));
  }

  /** Ends effect `effectId` with `end` and records `step`; throws when the result cannot be stored as JSON. */
  async record(effectId: number, end: EffectEnd, step: StepRecord<E>): Promise<StepRecorded<E>> {
    const json = JSON.stringify({
      effect_id: effectId,
      status: end.status,
      result: end.status === 'done' ? redactValue(end.result ?? null) : null,
      error: end.status === 'failed' ? end.error.slice(0, 2000) : null,
      dedup_key: step.dedupKey,
      name: step.name,
      team_id: step.teamId,
      enterprise_id: step.enterpriseId,
      channel_id: step.channelId,
      user_id: step.userId,
      handler: step.handler,
      effects: step.effects,
    });
    const settled = await this.#record({ effectId, step, json });
    if (!settled.ok) throw settled.error;
    return settled.value;
  }

  async #recordAll(items: Pending<E>[]): Promise<Settled<E>[]> {
    try {
      return (await this.#statement(items)).map((value) => ({ ok: true, value }));
    } catch (error) {
      // One step the store refuses (a value it cannot hold) must not fail the others: each alone.
      if (items.length === 1) return [{ ok: false, error }];
      return Promise.all(
        items.map(async (item): Promise<Settled<E>> => {
          try {
            const [value] = await this.#statement([item]);
            return value ? { ok: true, value } : { ok: false, error: new Error('no answer for the step') };
          } catch (cause) {
            return { ok: false, error: cause };
          }
        }),
      );
    }
  }

  async #statement(items: Pending<E>[]): Promise<StepRecorded<E>[]> {
    const now = this.now();
    const until = new Date(now.getTime() + this.lease.ms);
    const result = await this.raw(STEPS_SQL, [
      `[${items.map((item) => item.json).join(',')}]`,
      iso(now),
      iso(until),
      this.lease.owner,
    ]);
    const ended = new Set<number>();
    const steps = new Map<string, number>();
    const effects = new Map<number, z.infer<typeof ResultRow>[]>();
    for (const row of rows(result, ResultRow)) {
      if (row.what === 'ended') ended.add(row.id);
      else if (row.what === 'step' && row.dedup_key !== null) steps.set(row.dedup_key, row.id);
      else if (row.delivery_id !== null)
        effects.set(row.delivery_id, [...(effects.get(row.delivery_id) ?? []), row]);
    }
    return items.map(({ effectId, step }): StepRecorded<E> => {
      if (!ended.has(effectId)) return { status: 'lost' };
      const deliveryId = steps.get(step.dedupKey);
      if (deliveryId === undefined) return { status: 'duplicate' };
      const claimed: Claimed<E>[] = [];
      for (const row of (effects.get(deliveryId) ?? []).sort(
        (a, b) => (a.position ?? 0) - (b.position ?? 0),
      )) {
        const effect = step.effects[row.position ?? -1];
        if (effect === undefined) continue;
        claimed.push({
          id: row.id,
          delivery_id: deliveryId,
          position: row.position ?? 0,
          team_id: row.team_id,
          enterprise_id: row.enterprise_id,
          attempts: row.attempts ?? 1,
          effect,
        });
      }
      return { status: 'recorded', deliveryId, claimed };
    });
  }
}

/** Sets a timer back to pending until `dueAt`, its try not counted. */
export async function deferEffect(db: Database, id: number, dueAt: Date, now: Date): Promise<void> {
  await db.execute(sql`
    update outbox
    set status = 'pending', locked_until = null, next_attempt_at = ${iso(dueAt)}::timestamptz,
        attempts = attempts - 1, updated_at = ${iso(now)}::timestamptz
    where id = ${id} and status = 'running'`);
}
