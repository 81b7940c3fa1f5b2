import type { SlackApp } from '../core/app.js';
import type { AppTypes } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import { normalizeEnvelope } from '../core/normalize.js';
import type { Routed } from '../core/router.js';
import type { StoreHandle } from '../db/database.js';
import { nextReplayNumber } from '../db/inspect.js';
import type { Pipeline } from '../pipeline/build.js';
import type { Ring } from './ring.js';

/** Routes an event without recording or running anything: a replay's dry run. */
export type DryRun = (event: NormalizedEvent) => Promise<Routed>;

/** A dry run over `app`'s route table and look-ups (read-only) on `store`. */
export function dryRunner<T extends AppTypes>(
  app: SlackApp<T, StoreHandle>,
  settings: T['settings'],
  store: StoreHandle,
): DryRun {
  const ctx = { lookups: app.lookups(store), settings, now: () => new Date() };
  return (event) => app.router.dispatch(event, ctx);
}

/** The Slack payload inside a stored (redacted) event, and the Socket Mode envelope type that carries it. */
export function rawPayload(stored: Record<string, unknown>): {
  kind: 'events_api' | 'slash_commands' | 'interactive';
  payload: unknown;
} {
  if (stored.kind === 'event') return { kind: 'events_api', payload: stored.body };
  if (stored.kind === 'command') return { kind: 'slash_commands', payload: stored.payload };
  return { kind: 'interactive', payload: stored.payload };
}

/** Why a replay could not start: one line for the page or the terminal. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/**
 * The stored event made a delivery again: its Slack payload is normalized anew (checked, not cast)
 * and given the key `replay:<key>:<n>`, so it is a new delivery for today's route table.
 */
export async function replayEvent(
  pipeline: Pipeline,
  ring: Ring | null,
  key: string,
  stored: Record<string, unknown>,
): Promise<NormalizedEvent> {
  const { kind, payload } = rawPayload(stored);
  const normalized = normalizeEnvelope({ envelope_id: `replay-${key}`, type: kind, payload });
  if (!normalized.ok)
    throw new ReplayError(`the stored event cannot be replayed: ${normalized.error.message}`);
  const n = Math.max(await nextReplayNumber(pipeline.database.db, key), (ring?.replaysOf(key) ?? 0) + 1);
  const source = stored.source === 'http' || stored.source === 'socket' ? stored.source : 'http';
  return {
    ...normalized.value.event,
    deliveryId: `replay:${key}:${n}`,
    source,
    retryNum: 0,
    retryReason: null,
  };
}
