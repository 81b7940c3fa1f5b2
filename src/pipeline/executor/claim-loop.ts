import type { Claimed } from '../../db/outbox.js';
import type { Gate } from './gate.js';

/** What one drain's claim loop needs: how to claim, how to run a row, and how many may wait. */
export interface ClaimLoop {
  /** Claims up to `limit` runnable rows (one statement). */
  claim(limit: number): Promise<Claimed[]>;
  /** Runs one claimed row (after the rows of its delivery before it). */
  run(row: Claimed): Promise<void>;
  /** Rows running at once. */
  gate: Gate;
  /** Rows claimed and not finished at most (claimed ahead of the gate). */
  ahead: number;
  /** Rows claimed by one statement at most. */
  batch: number;
}

/**
 * Claims and runs rows until a claim comes back short: each delivery's rows in order, deliveries
 * side by side through `gate`. A claim waits until half the places are free, so it is not a
 * statement for a few rows each.
 */
export async function runClaimLoop(loop: ClaimLoop): Promise<void> {
  const chains = new Map<number, Promise<void>>();
  let active = 0;
  const slot: { free: (() => void) | null } = { free: null };
  for (;;) {
    const room = loop.ahead - active;
    if (room < Math.ceil(loop.ahead / 2) && active > 0) {
      await new Promise<void>((resolve) => {
        slot.free = resolve;
      });
      continue;
    }
    const limit = Math.min(loop.batch, room);
    const claimed = await loop.claim(limit);
    for (const row of claimed) {
      active++;
      const previous = chains.get(row.delivery_id) ?? Promise.resolve();
      const run = (async () => {
        await previous.catch(() => {}); // one delivery's effects in order
        await loop.gate.enter();
        try {
          await loop.run(row);
        } finally {
          loop.gate.leave();
          active--;
          slot.free?.();
          slot.free = null;
        }
      })();
      chains.set(row.delivery_id, run);
    }
    if (claimed.length < limit) break;
  }
  await Promise.all(chains.values());
}
