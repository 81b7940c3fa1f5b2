import { sql } from 'drizzle-orm';
import * as z from 'zod';
import { storedEffectName } from '../core/stored-effect.js';
import type { Database } from './database.js';
import { rows } from './rows.js';

/** A step delivery, as a link in a conversation. */
export interface StepRef {
  id: number;
  dedup_key: string;
  name: string | null;
  handler: string | null;
}

/** One delivery of a conversation, its effects, and the step each effect fed (if it did yet). */
export interface ChainNode {
  id: number;
  dedup_key: string;
  kind: string;
  name: string | null;
  handler: string | null;
  effects: { id: number; position: number; name: string; status: string; step: ChainNode | null }[];
}

const StepRow = z.object({
  id: z.coerce.number(),
  dedup_key: z.string(),
  name: z.string().nullable(),
  handler: z.string().nullable(),
  effect_id: z.coerce.number(),
});

/**
 * The steps fed by these effects, by effect id: a step's key is `step:<effect id>` (`.then`) or
 * `step:<effect id>:failed` (`.catch`); the later one wins when both were recorded (a retried effect).
 */
export async function stepsFedBy(db: Database, effectIds: number[]): Promise<Map<number, StepRef>> {
  const found = new Map<number, StepRef>();
  if (effectIds.length === 0) return found;
  const keys = JSON.stringify(effectIds.flatMap((id) => [`step:${id}`, `step:${id}:failed`]));
  const result = await db.execute(sql`
    select id, dedup_key, name, handler, split_part(dedup_key, ':', 2)::bigint as effect_id from deliveries
    where dedup_key in (select jsonb_array_elements_text(${keys}::text::jsonb)) order by id`);
  for (const { effect_id, ...step } of rows(result, StepRow)) found.set(effect_id, step);
  return found;
}

const OriginRow = z.object({
  id: z.coerce.number(),
  dedup_key: z.string(),
  kind: z.string(),
  name: z.string().nullable(),
  position: z.coerce.number(),
});

/** Where a step came from: the delivery whose effect fed it, and that effect's position; null for other keys. */
export async function stepOrigin(db: Database, dedupKey: string) {
  const match = /^step:(\d+)(?::failed)?$/.exec(dedupKey);
  if (!match) return null;
  const result = await db.execute(sql`
    select d.id, d.dedup_key, d.kind, d.name, o.position from outbox o join deliveries d on d.id = o.delivery_id
    where o.id = ${Number(match[1])}`);
  return rows(result, OriginRow)[0] ?? null;
}

const NodeRow = z.object({
  id: z.coerce.number(),
  dedup_key: z.string(),
  kind: z.string(),
  name: z.string().nullable(),
  handler: z.string().nullable(),
});
const EffectRow = z.object({
  id: z.coerce.number(),
  delivery_id: z.coerce.number(),
  position: z.coerce.number(),
  action: z.unknown(),
  status: z.string(),
});

/**
 * The conversation that starts at delivery `id`: its effects, the steps they fed, their effects, …
 * (at most `depth` levels, so a flow that loops still prints). Null when there is no such delivery.
 */
export async function deliveryChain(db: Database, id: number, depth = 20): Promise<ChainNode | null> {
  const [root] = rows(
    await db.execute(sql`select id, dedup_key, kind, name, handler from deliveries where id = ${id}`),
    NodeRow,
  );
  if (!root) return null;
  const node = async (delivery: z.infer<typeof NodeRow>, level: number): Promise<ChainNode> => {
    const effects = rows(
      await db.execute(sql`
        select id, delivery_id, position, status, action from outbox
        where delivery_id = ${delivery.id} order by position`),
      EffectRow,
    );
    const steps =
      level < depth
        ? await stepsFedBy(
            db,
            effects.map((e) => e.id),
          )
        : new Map<number, StepRef>();
    const children = await Promise.all(
      effects.map(async (e) => {
        const step = steps.get(e.id);
        return {
          id: e.id,
          position: e.position,
          name: storedEffectName(e.action),
          status: e.status,
          step: step ? await node({ ...step, kind: 'step' }, level + 1) : null,
        };
      }),
    );
    return { ...delivery, effects: children };
  };
  return node(root, 0);
}

/** The chain as indented lines, for the terminal: `#4 chat.postMessage done → step org-reply-posted (#9)`. */
export function chainLines(chain: ChainNode, indent = ''): string[] {
  const lines: string[] = [];
  for (const effect of chain.effects) {
    const step = effect.step;
    lines.push(
      `${indent}${effect.name} ${effect.status}${step ? ` → step ${step.name ?? '?'} (delivery ${step.id}, ${step.handler ?? 'no handler'})` : ''}`,
    );
    if (step) lines.push(...chainLines(step, `${indent}  `));
  }
  return lines;
}
