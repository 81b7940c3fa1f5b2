import type { Context } from 'hono';
import { countEffectsSince } from '../db/inspect.js';
import type { HeaderFacts } from './layout.js';
import { type EntryStatus, entryStatus } from './ring.js';
import type { Inspector, ListFilter } from './views.js';

const HOUR_MS = 3_600_000;
const STATUSES: readonly EntryStatus[] = [
  'failed',
  'pending',
  'duplicate',
  'handler error',
  'not taken',
  'ok',
];

/** The header's facts: this process, and counts per status over the last hour. */
export async function facts(inspector: Inspector): Promise<HeaderFacts> {
  const pipeline = await inspector.pipeline();
  const since = Date.now() - HOUR_MS;
  const lastHour: Record<string, number> = {};
  const rateLimited: string[] = [];
  for (const entry of inspector.ring.list()) {
    if (entry.at.getTime() < since) break;
    const status = entryStatus(entry);
    lastHour[status] = (lastHour[status] ?? 0) + 1;
    if (entry.kind === 'event' && entry.name === 'app_rate_limited')
      rateLimited.push(`${entry.team ?? '(no team)'} at ${entry.at.toISOString().slice(11, 16)} UTC`);
  }
  const connection = inspector.connection?.();
  return {
    mode: inspector.mode,
    connection: connection
      ? `${connection.state}${connection.lastRefresh ? `, refreshed ${connection.lastRefresh.toISOString().slice(11, 19)}` : ''}${connection.connections ? `; ${connection.connections}` : ''}`
      : null,
    database: pipeline.database.where,
    version: inspector.version,
    lastHour,
    rateLimited,
    effectsLastHour: await countEffectsSince(pipeline.database.db, new Date(since)),
  };
}

/** The list's filters from the query string; unknown values are ignored. */
export function filterOf(c: Context): ListFilter {
  const q = (name: string) => c.req.query(name)?.trim() || undefined;
  const status = q('status');
  return {
    kind: q('kind'),
    status: STATUSES.find((s) => s === status),
    team: q('team'),
    channel: q('channel'),
    text: q('text'),
    page: Math.max(0, Number.parseInt(q('page') ?? '0', 10) || 0),
  };
}
