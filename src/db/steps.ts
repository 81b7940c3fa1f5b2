import { sql } from 'drizzle-orm';
import * as z from 'zod';
import type { EffectEnd } from '../core/step-event.js';
import { redactValue } from '../log/redact.js';
import type { Database } from './database.js';
import { type Claimed, iso, type Lease, LeasedRowSchema } from './outbox.js';
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

const Inserted = z.object({ id: z.coerce.number() });

/**
 * Ends effect `effectId` (done with its result, or failed for good) and records the step it feeds,
 * with the step's effects leased to `lease`, in one transaction: a crash before the commit runs the
 * effect again and the step once; after it, the step is there and its effects are in the outbox.
 * The step's key derives from the effect, so it is recorded once whoever ends the effect.
 * `lost`: the effect is no longer this caller's to end (another process took it): nothing is written.
 * The result is kept redacted (an OAuth method's answer holds tokens); the step gets it whole, in memory.
 */
export async function recordStep<E>(
  db: Database,
  effectId: number,
  end: EffectEnd,
  step: StepRecord<E>,
  options: { lease: Lease; now: Date },
): Promise<StepRecorded<E>> {
  const now = iso(options.now);
  const until = iso(new Date(options.now.getTime() + options.lease.ms));
  return db.transaction(async (tx) => {
    const ended = await tx.execute(
      end.status === 'done'
        ? sql`update outbox set status = 'done', result = ${JSON.stringify(redactValue(end.result ?? null))}::text::jsonb,
                locked_until = null, last_error = null, updated_at = ${now}::timestamptz
              where id = ${effectId} and status = 'running' returning id`
        : sql`update outbox set status = 'failed', locked_until = null, last_error = ${end.error.slice(0, 2000)},
                updated_at = ${now}::timestamptz
              where id = ${effectId} and status = 'running' returning id`,
    );
    if (rows(ended, Inserted).length === 0) return { status: 'lost' } as const;
    const delivery = rows(
      await tx.execute(sql`
        insert into deliveries (dedup_key, kind, team_id, received_at, name, source, channel_id, user_id, handler)
        values (${step.dedupKey}, 'step', ${step.teamId}, ${now}::timestamptz, ${step.name}, 'step',
                ${step.channelId}, ${step.userId}, ${step.handler})
        on conflict (dedup_key) do nothing
        returning id`),
      Inserted,
    )[0];
    if (!delivery) return { status: 'duplicate' } as const;
    if (step.effects.length === 0) return { status: 'recorded', deliveryId: delivery.id, claimed: [] };
    const inserted = await tx.execute(sql`
      insert into outbox (delivery_id, position, action, team_id, enterprise_id, next_attempt_at, updated_at,
                          status, attempts, locked_until, locked_by)
      select ${delivery.id}, e.ord - 1, e.value, ${step.teamId}, ${step.enterpriseId}, ${now}::timestamptz,
             ${now}::timestamptz, 'running', 1, ${until}::timestamptz, ${options.lease.owner}::text
      from jsonb_array_elements(${JSON.stringify(step.effects)}::text::jsonb) with ordinality as e(value, ord)
      returning id, delivery_id, position, team_id, enterprise_id, attempts`);
    const claimed: Claimed<E>[] = [];
    for (const row of rows(inserted, LeasedRowSchema).sort((a, b) => a.position - b.position)) {
      const effect = step.effects[row.position];
      if (effect !== undefined) claimed.push({ ...row, effect });
    }
    return { status: 'recorded', deliveryId: delivery.id, claimed };
  });
}

/** Sets a timer back to pending until `dueAt`, its try not counted. */
export async function deferEffect(db: Database, id: number, dueAt: Date, now: Date): Promise<void> {
  await db.execute(sql`
    update outbox
    set status = 'pending', locked_until = null, next_attempt_at = ${iso(dueAt)}::timestamptz,
        attempts = attempts - 1, updated_at = ${iso(now)}::timestamptz
    where id = ${id} and status = 'running'`);
}
