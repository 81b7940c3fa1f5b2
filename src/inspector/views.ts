import type { Context } from 'hono';
import { storedEffectName } from '../core/stored-effect.js';
import {
  type DeliveryRow,
  type EffectRow,
  effectsByKey,
  getDelivery,
  listDeliveries,
} from '../db/inspect.js';
import { redactValue } from '../log/redact.js';
import type { RefusalLog } from '../log/refusals.js';
import type { AckMinutes } from '../observe/ack-minutes.js';
import type { Pipeline } from '../pipeline/build.js';
import type { AccessDecision, InspectorAccess } from './access.js';
import type { DryRun } from './replay.js';
import { type DedupOutcome, type EffectSeen, type EntryStatus, entryStatus, type Ring } from './ring.js';

/** What the page needs from the process it runs in. */
export interface Inspector {
  /** This process's deliveries (empty on Workers and Lambda: they keep no memory across requests). */
  ring: Ring;
  /** The pipeline replays go through (the observed one, so a replay shows in the list). */
  pipeline(): Promise<Pipeline>;
  /** Routes an event without recording it, for a dry run; absent: no dry run here. */
  dryRun?: DryRun;
  access: InspectorAccess;
  /** The TCP peer of a request, where the runtime tells it (Node); for the token-less dev inspector. */
  peer?: (c: Context) => string | undefined;
  /** Where requests refused as not from this machine are logged; absent: not logged. */
  refused?: RefusalLog;
  mode: 'HTTP' | 'Socket Mode';
  /** The Socket Mode connection's state and last refresh (and connection counts); absent over HTTP. */
  connection?: () => { state: string; lastRefresh: Date | null; connections?: string };
  version: string;
  /** This process's ack times per minute, for the charts when rows carry none; absent: not kept here. */
  acks?: AckMinutes;
}

export type { AccessDecision };

/** The filters of the list, from the query string. */
export interface ListFilter {
  kind?: string;
  status?: EntryStatus;
  team?: string;
  channel?: string;
  text?: string;
  page: number;
}

/** One line of the list, from this process's ring or from the database. */
export interface ListItem {
  /** `r<seq>` for an entry of the ring, `d<id>` for a row of the database. */
  ref: string;
  at: Date;
  key: string;
  source: string | null;
  kind: string;
  name: string | null;
  team: string | null;
  channel: string | null;
  handler: string | null;
  outcome: DedupOutcome;
  ackMs: number | null;
  error: string | null;
  effects: EffectSeen[];
  status: EntryStatus;
}

export const PAGE_SIZE = 50;

/** An outbox row as the list shows it: pending with an error is a retry waiting. */
export function effectSeen(row: EffectRow): EffectSeen {
  const name = storedEffectName(row.action);
  const status =
    row.status === 'done'
      ? 'done'
      : row.status === 'failed'
        ? 'failed'
        : row.last_error !== null && row.status === 'pending'
          ? 'retry'
          : 'pending';
  const error = row.last_error === null ? null : String(redactValue(row.last_error));
  return { name, status, attempts: row.attempts, ms: null, error };
}

function fromRow(row: DeliveryRow): ListItem {
  const effects = row.effects.map(effectSeen);
  return {
    ref: `d${row.id}`,
    at: row.received_at,
    key: row.dedup_key,
    source: row.source,
    kind: row.kind,
    name: row.name,
    team: row.team_id,
    channel: row.channel_id,
    handler: row.handler,
    outcome: 'new',
    ackMs: row.ack_ms,
    error: null,
    effects,
    status: entryStatus({ outcome: 'new', error: null, effects }),
  };
}

const matches = (item: ListItem, filter: ListFilter, haystack: () => string) =>
  (!filter.kind || item.kind === filter.kind) &&
  (!filter.status || item.status === filter.status) &&
  (!filter.team || item.team === filter.team) &&
  (!filter.channel || item.channel === filter.channel) &&
  (!filter.text || haystack().toLowerCase().includes(filter.text.toLowerCase()));

/**
 * The list: this process's ring and the database's recorded deliveries, merged by key, newest
 * first, one page. Effects' states come from the database (a drain or a Retry changes them there).
 */
export async function listItems(
  inspector: Inspector,
  filter: ListFilter,
): Promise<{ items: ListItem[]; more: boolean }> {
  const pipeline = await inspector.pipeline();
  const db = pipeline.database.db;
  const want = (filter.page + 1) * PAGE_SIZE + 1;
  const ring = inspector.ring.list();
  const stored = await effectsByKey(db, [
    ...new Set(ring.filter((e) => e.outcome === 'new').map((e) => e.key)),
  ]);
  const fromRing = ring.map((entry): [ListItem, () => string] => {
    const rows = entry.outcome === 'new' ? stored.get(entry.key) : undefined;
    const effects = rows ? rows.map(effectSeen) : entry.effects;
    const error = entry.error;
    const item: ListItem = {
      ref: `r${entry.seq}`,
      at: entry.at,
      key: entry.key,
      source: entry.source,
      kind: entry.kind,
      name: entry.name,
      team: entry.team,
      channel: entry.channel,
      handler: entry.handler,
      outcome: entry.outcome,
      ackMs: entry.ackMs,
      error,
      effects,
      status: entryStatus({ outcome: entry.outcome, error, effects }),
    };
    // The event is redacted as it is read: only for a text filter.
    return [item, () => `${entry.key} ${entry.handler ?? ''} ${JSON.stringify(entry.event)}`];
  });
  const dbStatus = filter.status === 'failed' || filter.status === 'pending' ? filter.status : undefined;
  const onlyRing = filter.status !== undefined && dbStatus === undefined && filter.status !== 'ok';
  const rows = onlyRing
    ? []
    : await listDeliveries(db, { ...filter, status: dbStatus, limit: want, offset: 0 });
  const keys = new Set(ring.map((e) => e.key));
  const merged = [
    ...fromRing.filter(([item, text]) => matches(item, filter, text)).map(([item]) => item),
    ...rows
      .filter((row) => !keys.has(row.dedup_key))
      .map(fromRow)
      .filter((item) => matches(item, filter, () => item.key)),
  ].sort((a, b) => b.at.getTime() - a.at.getTime());
  const start = filter.page * PAGE_SIZE;
  return { items: merged.slice(start, start + PAGE_SIZE), more: merged.length > start + PAGE_SIZE };
}

/** One delivery, by its ref: the ring's entry (with the database's effect rows) or the database's row. */
export async function findDelivery(inspector: Inspector, ref: string) {
  const pipeline = await inspector.pipeline();
  const db = pipeline.database.db;
  const seq = /^r(\d+)$/.exec(ref)?.[1];
  if (seq !== undefined) {
    const entry = inspector.ring.get(Number(seq));
    if (!entry) return null;
    const row = entry.outcome === 'new' ? await getDelivery(db, { key: entry.key }) : null;
    return { entry, row };
  }
  const id = /^d(\d+)$/.exec(ref)?.[1];
  if (id === undefined) return null;
  const row = await getDelivery(db, { id: Number(id) });
  return row ? { entry: null, row } : null;
}
