import type { Logger } from '../core/context.js';
import { POST_METHODS } from '../core/rate-limits.js';
import type { RawSql } from './database.js';

// A channel's messages reach Slack in the order they were recorded (outbox id), whichever process
// holds them: a message starts only once no earlier one of its lane (workspace × channel) is open
// in the outbox, pending or running. The outbox alone decides, so the rule holds across processes
// and crashes: an earlier message leased to a dead process is taken by a drain and runs, one that
// failed for good no longer holds the lane, and one sent back by a 429 keeps its place (it is open).
// One message of a lane is in flight at a time, so they cannot pass each other on the way either.

/** The earliest open message of each lane asked about (lane key as `laneOf` makes it). */
const HEADS_SQL = `
select lane as key, min(id)::float8 as id from (
  select id, coalesce(team_id, enterprise_id, '-') || ':post:' || coalesce(nullif(action->'args'->>'channel', ''), '-') as lane
  from outbox
  where status in ('pending', 'running') and action->>'type' = 'api'
    and action->>'method' in (select jsonb_array_elements_text($2::text::jsonb))
) open where lane in (select jsonb_array_elements_text($1::text::jsonb))
group by lane`;

/**
 * How often lanes whose head is still open are asked about again. Past a burst's first calls a
 * lane's next slot is a second away, so its turn coming up to this late costs nothing; each check
 * reads the open messages of the lanes asked about (~1–3 ms with 600 open, measured).
 */
export const ORDER_POLL_MS = 100;

/** An effect waiting for its turn in its lane. */
export interface Turn {
  /** Its outbox id. */
  id: number;
  /** Past this (epoch ms) it stops waiting: `turn()` answers false and the effect goes back to the outbox. */
  until: number;
  /** Called once if it must wait (the executor gives its place to others meanwhile). */
  waiting(): void;
}

interface Waiter extends Turn {
  resolve: (ok: boolean) => void;
  told: boolean;
}

/** Hands each ordered lane's turn to its earliest open message, in this process and across processes. */
export class LaneOrder {
  /** This process's waiters, per lane, earliest id first: only the first is asked about. */
  readonly #lanes = new Map<string, Waiter[]>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #checking = false;
  #again = false;
  #warned = false;

  constructor(
    private readonly raw: RawSql,
    private readonly logger: Logger = console,
    private readonly pollMs = ORDER_POLL_MS,
  ) {}

  /** Resolves true when `turn.id` is the earliest open message of `lane`; false once `turn.until` passed. */
  turn(lane: string, turn: Turn): Promise<boolean> {
    return new Promise((resolve) => {
      const waiters = this.#lanes.get(lane) ?? [];
      const at = waiters.findIndex((w) => w.id > turn.id);
      const waiter: Waiter = { ...turn, resolve, told: false };
      if (at < 0) waiters.push(waiter);
      else waiters.splice(at, 0, waiter);
      this.#lanes.set(lane, waiters);
      if (waiters[0] !== waiter) this.#tell(waiter); // an earlier one of its lane waits here
      this.#schedule(0);
    });
  }

  #tell(waiter: Waiter): void {
    if (waiter.told) return;
    waiter.told = true;
    waiter.waiting();
  }

  #schedule(ms: number): void {
    if (this.#checking) {
      this.#again ||= ms === 0;
      return;
    }
    if (this.#timer !== undefined) {
      if (ms > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#check();
    }, ms);
  }

  /** Asks the outbox for the head of every lane with a waiter here; lets through those at the head. */
  async #check(): Promise<void> {
    this.#checking = true;
    this.#again = false;
    const now = Date.now();
    for (const [lane, waiters] of this.#lanes) {
      for (const w of waiters.filter((w) => w.until <= now)) w.resolve(false);
      const left = waiters.filter((w) => w.until > now);
      if (left.length === 0) this.#lanes.delete(lane);
      else this.#lanes.set(lane, left);
    }
    const keys = [...this.#lanes.keys()];
    let heads = new Map<string, number>();
    try {
      if (keys.length > 0) {
        const rows = (await this.raw(HEADS_SQL, [JSON.stringify(keys), JSON.stringify(POST_METHODS)])) as {
          key: string;
          id: number | string;
        }[];
        heads = new Map(rows.map((row) => [row.key, Number(row.id)]));
      }
      this.#warned = false;
    } catch (cause) {
      // Without the outbox no turn can be known: the lanes wait (their `until` still ends the wait).
      if (!this.#warned)
        this.logger.warn('the outbox could not be read for the lanes’ order; their messages wait', {
          cause: String(cause),
        });
      this.#warned = true;
      heads = new Map(keys.map((key) => [key, Number.NEGATIVE_INFINITY]));
    }
    for (const key of keys) {
      const waiters = this.#lanes.get(key);
      const first = waiters?.[0];
      if (!waiters || !first) continue;
      const head = heads.get(key);
      if (head === undefined || head >= first.id) {
        waiters.shift(); // its turn; the next one's comes when it is no longer open
        if (waiters.length === 0) this.#lanes.delete(key);
        first.resolve(true);
      }
      for (const w of waiters) this.#tell(w);
    }
    this.#checking = false;
    if (this.#lanes.size > 0) this.#schedule(this.#again ? 0 : this.pollMs);
  }
}
