import { type Effect, effectName } from '../core/action.js';
import type { NormalizedEvent } from '../core/event.js';
import { redactValue } from '../log/redact.js';
import type { Outcome } from '../pipeline/executor/executor.js';
import type { Taken } from '../pipeline/take-delivery.js';

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

/** The key a replay key replays: `replay:<key>:<n>` → `<key>`. */
export function replayedKey(key: string): string | null {
  const match = /^replay:(.*):\d+$/.exec(key);
  return match?.[1] ?? null;
}

/**
 * An event redacted for showing or keeping: tokens, `token` fields and response URLs gone. An Events
 * API `payload` is its `body` or the body's `event`: redacted once, with the body.
 */
export function redactEvent(event: NormalizedEvent): Record<string, unknown> {
  const body = 'body' in event ? event.body : undefined;
  const redactedBody = body === undefined ? undefined : redactValue(body, 'body', 1);
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'body') redacted[key] = redactedBody;
    else if (key === 'payload' && value === body) redacted[key] = redactedBody;
    else if (key === 'payload' && isRecord(body) && isRecord(redactedBody) && value === body.event)
      redacted[key] = redactedBody.event;
    else redacted[key] = redactValue(value, key, 1);
  }
  return redacted;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NO_EFFECTS: readonly Effect[] = [];

/**
 * One delivery this process took. It holds references to what the pipeline already had (the
 * normalized event, the ack body, the effects and, once they ran, their outcomes): nothing is
 * copied or redacted per delivery. Whatever a page or the CLI reads is redacted as it is read.
 */
export class RingEntry {
  readonly outcome: DedupOutcome;
  readonly handler: string | null;
  readonly #at = Date.now();
  readonly #event: NormalizedEvent;
  readonly #ackBody: unknown;
  readonly #effects: readonly Effect[];
  readonly #error: string | null;
  #outcomes: readonly Outcome[] | null = null;

  constructor(
    /** This process's sequence number: the entry's id on the page. */
    readonly seq: number,
    event: NormalizedEvent,
    taken: Taken,
    readonly ackMs: number,
  ) {
    this.#event = event;
    this.#error = taken.error;
    if (taken.status === 'ack') {
      this.outcome = taken.recorded;
      this.handler = taken.handler;
      this.#ackBody = taken.body;
      this.#effects = taken.effects;
    } else {
      this.outcome = taken.status;
      this.handler = null;
      this.#ackBody = null;
      this.#effects = NO_EFFECTS;
    }
  }

  get at(): Date {
    return new Date(this.#at);
  }
  get key(): string {
    return this.#event.deliveryId;
  }
  get source(): NormalizedEvent['source'] {
    return this.#event.source;
  }
  get kind(): string {
    return this.#event.kind;
  }
  get name(): string {
    return this.#event.name;
  }
  get team(): string | null {
    return this.#event.teamId;
  }
  get channel(): string | null {
    return this.#event.channelId;
  }
  get user(): string | null {
    return this.#event.userId;
  }
  /** Set on a replay: the key it replays. */
  get replayOf(): string | null {
    return replayedKey(this.#event.deliveryId);
  }
  /** The handler's error, or why the delivery was not taken (redacted). */
  get error(): string | null {
    return this.#error === null ? null : String(redactValue(this.#error));
  }
  /** The redacted normalized event, Slack's payload included. */
  get event(): Record<string, unknown> {
    return redactEvent(this.#event);
  }
  get ackBody(): unknown {
    return redactValue(this.#ackBody);
  }
  /** The effects returned (redacted), in order. */
  get actions(): unknown[] {
    return this.#effects.map((effect) => redactValue(effect));
  }
  /** Each recorded effect and how its run went here; none for a delivery not recorded as new. */
  get effects(): EffectSeen[] {
    if (this.outcome !== 'new') return [];
    return this.#effects.map((effect, i): EffectSeen => {
      const ran = this.#outcomes?.[i];
      const name = effectName(effect);
      if (!ran) return { name, status: 'pending', attempts: 0, ms: null, error: null };
      const error = ran.error ? String(redactValue(ran.error)) : null;
      return { name, status: ran.status, attempts: ran.attempts, ms: ran.ms, error };
    });
  }

  /** Keeps the outcomes of the effects' run (one per effect, in order). */
  ran(outcomes: readonly Outcome[]): void {
    this.#outcomes = outcomes;
  }
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
 * The last `size` deliveries of this process, in memory (a fixed array of slots: the newest takes
 * the oldest's), and who listens for new ones (the page's server-sent events).
 */
export class Ring {
  readonly #slots: (RingEntry | undefined)[];
  readonly #listeners = new Set<(change: RingChange) => void>();
  #changes: RingChange[] = [];
  #seq = 0;

  constructor(readonly size = 1000) {
    this.#slots = new Array(size);
  }

  /** Keeps a delivery the pipeline took (references only); its `seq` is assigned here. */
  add(event: NormalizedEvent, taken: Taken, ackMs: number): RingEntry {
    const entry = new RingEntry(++this.#seq, event, taken, ackMs);
    this.#slots[entry.seq % this.size] = entry;
    this.#emit({ type: 'delivery', entry });
    return entry;
  }

  /** Records how an entry's effects ran. */
  ran(entry: RingEntry, outcomes: readonly Outcome[]): void {
    entry.ran(outcomes);
    this.#emit({ type: 'effects', entry });
  }

  /** Newest first. */
  list(): RingEntry[] {
    const entries: RingEntry[] = [];
    for (let seq = this.#seq; seq > 0 && seq > this.#seq - this.size; seq--) {
      const entry = this.#slots[seq % this.size];
      if (entry) entries.push(entry);
    }
    return entries;
  }

  get(seq: number): RingEntry | undefined {
    const entry = this.#slots[seq % this.size];
    return entry?.seq === seq ? entry : undefined;
  }

  /** Replays of `key` seen here. */
  replaysOf(key: string): number {
    return this.list().filter((e) => e.replayOf === key).length;
  }

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (change: RingChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: RingChange): void {
    if (this.#listeners.size === 0) return;
    // After this turn (the ack is written first), every change of the turn at once: no timer per delivery.
    if (this.#changes.push(change) === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const changes = this.#changes;
    this.#changes = [];
    for (const change of changes) for (const listener of this.#listeners) listener(change);
  }
}
