import { hostname } from 'node:os';
import type { DatabaseHandle } from '../db/database.js';
import type { OwnerLock } from '../db/locks.js';
import { leaveSlots, releaseSlot, syncSlots } from '../db/socket-slots.js';
import { memorySlots } from '../socket/memory-slots.js';
import { fairShare, type PoolStatus, SLACK_CONNECTION_LIMIT, type SlotStore } from '../socket/pool.js';
import { VERSION } from './version.js';

/**
 * Connections of the one process on the embedded database. One: its refreshes are make-before-break
 * already, and a burst of 2,000 split over two sockets missed PGlite's 2 s recording deadline for
 * some envelopes here (redelivered, so none lost) where one socket did not.
 */
const ONE_PROCESS_SHARE = 1;
/** Slot claims across all processes at least this far apart: Slack refuses bursts of connections. */
const STAGGER_MS = 300;

/**
 * Where this process leases its Socket Mode connection slots, and its share of them: on PostgreSQL
 * the database, shared by every process of the app (leases end with their owner's lock); on PGlite
 * (one process) or without an owner lock, memory.
 */
export function socketSlots(
  database: DatabaseHandle,
  ownerLock: OwnerLock | null,
): { store: SlotStore; share: (processes: number) => number } {
  // PGlite: one process, nobody to share with; its one connection is better left to deliveries.
  if (database.driver === 'pglite' || !ownerLock)
    return {
      store: memorySlots(SLACK_CONNECTION_LIMIT, ONE_PROCESS_SHARE),
      share: () => ONE_PROCESS_SHARE,
    };
  const share = fairShare;
  const owner = ownerLock.owner;
  const options = {
    owner,
    holder: `${hostname()} pid ${process.pid}`,
    limit: SLACK_CONNECTION_LIMIT,
    staggerMs: STAGGER_MS,
    share,
  };
  return {
    share,
    store: {
      sync: (claim) => syncSlots(database.db, options, claim),
      release: (slot) => releaseSlot(database.db, owner, slot),
      leave: () => leaveSlots(database.db, owner),
    },
  };
}

/**
 * `GET /healthz` of a Socket Mode process: ready while the database answers and the process holds
 * an open connection or stands by (every slot held by others); with this process's connections and
 * the group's.
 */
export async function socketHealth(
  database: DatabaseHandle,
  pool: { status(): PoolStatus },
): Promise<{ status: 200 | 503; body: object }> {
  const socket = pool.status();
  const { state, here, slots, total, processes, slack } = socket;
  const connections = { state, here, slots, total, processes, slack, limit: SLACK_CONNECTION_LIMIT };
  let reason: string | null = null;
  try {
    await database.raw('select 1', []);
  } catch (error) {
    reason = `the database does not answer: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!reason && state !== 'connected' && state !== 'standing by')
    reason = `no Socket Mode connection is open (${state})`;
  const body = { status: reason ? 'unavailable' : 'ok', ready: !reason, version: VERSION, connections };
  return reason ? { status: 503, body: { ...body, reason } } : { status: 200, body };
}
