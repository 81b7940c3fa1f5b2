/** How a delivery's dedup went: recorded as new, seen before, nothing to record, or not taken at all. */
export type DedupOutcome = 'new' | 'duplicate' | 'none' | 'unavailable' | 'rejected';

/** One effect of a delivery as this process saw it run. */
export interface EffectSeen {
  name: string;
  status: 'pending' | 'done' | 'retry' | 'failed';
  attempts: number;
  ms: number | null;
  error: string | null;
}

/** One delivery this process took, redacted. */
export interface RingEntry {
  /** This process's sequence number: the entry's id on the page. */
  seq: number;
  at: Date;
  key: string;
  source: 'http' | 'socket';
  kind: string;
  name: string;
  team: string | null;
  channel: string | null;
  user: string | null;
  handler: string | null;
  outcome: DedupOutcome;
  ackMs: number;
  ackBody: unknown;
  /** The handler's error, or why the delivery was not taken. */
  error: string | null;
  /** The effects returned (redacted), in order. */
  actions: unknown[];
  effects: EffectSeen[];
  /** The redacted normalized event, Slack's payload included. */
  event: Record<string, unknown>;
  /** Set on a replay: the key it replays. */
  replayOf: string | null;
}

/** Why the page or the CLI lists a delivery under a status. */
export type EntryStatus = 'failed' | 'pending' | 'duplicate' | 'handler error' | 'not taken' | 'ok';

/** The status of an entry, worst first. */
export function entryStatus(entry: Pick<RingEntry, 'outcome' | 'error' | 'effects'>): EntryStatus {
  if (entry.outcome === 'unavailable' || entry.outcome === 'rejected') return 'not taken';
  if (entry.effects.some((e) => e.status === 'failed' || e.status === 'retry')) return 'failed';
  if (entry.outcome === 'duplicate') return 'duplicate';
  if (entry.error) return 'handler error';
  if (entry.effects.some((e) => e.status === 'pending')) return 'pending';
  return 'ok';
}

/** A change the page's live tail hears about. */
export type RingChange = { type: 'delivery' | 'effects'; entry: RingEntry };

/**
 * The last `size` deliveries of this process, in memory, and who listens for new ones (the page's
 * server-sent events). Entries are redacted before they get here.
 */
export class Ring {
  readonly #entries: RingEntry[] = [];
  readonly #listeners = new Set<(change: RingChange) => void>();
  #seq = 0;

  constructor(readonly size = 1000) {}

  /** Adds an entry (its `seq` is assigned here); the oldest goes when the ring is full. */
  add(entry: Omit<RingEntry, 'seq'>): RingEntry {
    const full = Object.assign(entry, { seq: ++this.#seq });
    this.#entries.push(full);
    if (this.#entries.length > this.size) this.#entries.shift();
    this.#emit({ type: 'delivery', entry: full });
    return full;
  }

  /** Records that an entry's effects changed. */
  touched(entry: RingEntry): void {
    this.#emit({ type: 'effects', entry });
  }

  /** Newest first. */
  list(): RingEntry[] {
    return [...this.#entries].reverse();
  }

  get(seq: number): RingEntry | undefined {
    return this.#entries.find((e) => e.seq === seq);
  }

  /** Replays of `key` seen here. */
  replaysOf(key: string): number {
    return this.#entries.filter((e) => e.replayOf === key).length;
  }

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (change: RingChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: RingChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
