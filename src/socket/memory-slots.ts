import type { SlotStore } from './pool.js';

/**
 * Connection slots kept in memory, for a process that shares them with nobody (no lock session to
 * prove it alive, so other processes could not tell when its leases end).
 */
export function memorySlots(limit: number, share: number): SlotStore {
  const held = new Set<number>();
  const mine = () => [...held].sort((a, b) => a - b);
  const view = (claimed: number | null) => ({
    mine: mine(),
    members: [{ owner: 'this process', holder: 'this process', slots: held.size }],
    held: held.size,
    claimed,
    waitMs: 0,
  });
  return {
    async sync(claim) {
      const free = Array.from({ length: limit }, (_, i) => i).find((slot) => !held.has(slot));
      const wanted = claim === 'spare' || (claim === 'fair' && held.size < share);
      if (!wanted || free === undefined) return view(null);
      held.add(free);
      return view(free);
    },
    async release(slot) {
      held.delete(slot);
    },
    async leave() {
      held.clear();
    },
  };
}
