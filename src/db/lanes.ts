import type { Logger } from '../core/context.js';
import type { Lane } from '../core/rate-limits.js';
import type { RawSql } from './database.js';

// The lanes' schedules, shared by every process on the database: one row per lane with its
// theoretical arrival time (GCRA, the cell-rate algorithm): a call reserves the next slot of its
// lane and learns when it may start, whichever process asks. Reservations that arrive together are
// taken in one statement, one row per lane. A 429 pushes its lane's schedule past `Retry-After`.
// Which of a channel's messages goes next is not decided here but by the outbox (lane-order.ts).

const RESERVE_SQL = `
insert into lanes as l (key, tat, free_at, updated_at)
select k, $2::float8 + n * t, $2::float8 + n * t - w, now()
from jsonb_to_recordset($1::jsonb) as r(k text, n int, t float8, w float8)
order by k
on conflict (key) do update
  set tat = greatest(l.tat, $2::float8) + (excluded.tat - $2::float8),
      free_at = greatest(l.tat, $2::float8) + (excluded.tat - $2::float8) - (excluded.tat - excluded.free_at),
      updated_at = now()
returning key, tat`;

const PUSH_SQL = `
insert into lanes as l (key, tat, free_at, updated_at) values ($1, $2::float8, $2::float8 - $3::float8, now())
on conflict (key) do update
  set tat = greatest(l.tat, excluded.tat), free_at = greatest(l.free_at, excluded.free_at), updated_at = now()`;

const WAITING_SQL = `select key, free_at as tat from lanes where free_at > $1::float8 order by free_at desc limit $2`;

/**
 * Of a lane's budget, what is spent: calls leave on schedule but reach Slack a little early or late
 * (connections, the event loop), so the schedule runs 10 % under the limit.
 */
export const LANE_HEADROOM = 0.9;
/**
 * The same for a lane whose calls go one at a time, in order (a channel's messages): one cannot
 * overtake or bunch with the next, so 5 % is enough.
 */
export const ORDERED_HEADROOM = 0.95;

/**
 * Milliseconds between two calls of a lane, and how far ahead of its schedule a burst may go: one
 * call of the burst is kept back, for a call that reaches Slack late and arrives with the next.
 */
function cadence({ budget, ordered }: Pick<Lane, 'budget' | 'ordered'>): {
  interval: number;
  tolerance: number;
} {
  const interval = 60_000 / (budget.perMinute * (ordered ? ORDERED_HEADROOM : LANE_HEADROOM));
  return { interval, tolerance: Math.max(0, budget.burst - 2) * interval };
}

interface Request {
  lane: Lane;
  resolve: (waitMs: number) => void;
}

/** How long a reservation may wait for the store before its calls go unpaced. */
export const RESERVE_DEADLINE_MS = 1_000;

/** A lane that waits: its key, and when its schedule frees up (epoch ms). */
export interface WaitingLane {
  key: string;
  until: number;
}

/** Where the lanes' schedules are kept: the database (shared by processes) or this process's memory. */
export type LaneSchedules = { kind: 'database'; raw: RawSql } | { kind: 'memory' };

/**
 * Reserves slots in the lanes' schedules. On PostgreSQL they are shared by every process; with the
 * embedded database (one process) they are kept in memory, which costs no statement.
 */
export class LaneClock {
  #queue: Request[] = [];
  #scheduled = false;
  #warned = false;
  readonly #memory = new Map<string, { tat: number; freeAt: number }>();
  readonly #raw: RawSql;

  constructor(
    schedules: LaneSchedules,
    private readonly logger: Logger = console,
    private readonly now: () => number = Date.now,
  ) {
    this.#raw =
      schedules.kind === 'database' ? schedules.raw : (query, params) => this.#inMemory(query, params);
  }

  /** The statements' effect on the in-memory schedules. */
  async #inMemory(query: string, params: unknown[]): Promise<unknown[]> {
    const now = this.now();
    if (query === RESERVE_SQL) {
      const lanes = JSON.parse(String(params[0])) as { k: string; n: number; t: number; w: number }[];
      const at = Number(params[1]);
      const reserved = lanes.map(({ k, n, t, w }) => {
        const tat = Math.max(this.#memory.get(k)?.tat ?? at, at) + n * t;
        this.#memory.set(k, { tat, freeAt: tat - w });
        return { key: k, tat };
      });
      if (this.#memory.size > 10_000)
        for (const [key, lane] of this.#memory) if (lane.tat <= now) this.#memory.delete(key);
      return reserved;
    }
    if (query === PUSH_SQL) {
      const [key, tat, tolerance] = [String(params[0]), Number(params[1]), Number(params[2])];
      const lane = this.#memory.get(key);
      this.#memory.set(key, {
        tat: Math.max(lane?.tat ?? 0, tat),
        freeAt: Math.max(lane?.freeAt ?? 0, tat - tolerance),
      });
      return [];
    }
    for (const [key, lane] of this.#memory) if (lane.tat <= now - 60_000) this.#memory.delete(key);
    return [...this.#memory]
      .filter(([, lane]) => lane.freeAt > now)
      .map(([key, lane]) => ({ key, tat: lane.freeAt }))
      .sort((x, y) => y.tat - x.tat)
      .slice(0, Number(params[1]));
  }

  /** How long to wait before a call of `lane` (0: now). The slot is taken: make the call after it. */
  reserve(lane: Lane): Promise<number> {
    return new Promise((resolve) => {
      this.#queue.push({ lane, resolve });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => void this.#flush());
    });
  }

  /** Slack answered 429: nothing more of `lane` starts for `retryAfterMs` (in any process). */
  async push(lane: Lane, retryAfterMs: number): Promise<void> {
    const { tolerance } = cadence(lane);
    await this.#raw(PUSH_SQL, [lane.key, this.now() + retryAfterMs + tolerance, tolerance]);
  }

  /** The lanes whose schedule runs ahead of now (calls in them wait), latest first. */
  async waiting(limit = 50): Promise<WaitingLane[]> {
    const now = this.now();
    const rows = (await this.#raw(WAITING_SQL, [now, limit])) as { key: string; tat: number | string }[];
    return rows.map((row) => ({ key: row.key, until: Number(row.tat) }));
  }

  async #flush(): Promise<void> {
    const queue = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    // One row per lane: its requests take consecutive slots, in the order they came.
    const byKey = new Map<string, Request[]>();
    for (const request of queue) {
      const list = byKey.get(request.lane.key) ?? [];
      list.push(request);
      byKey.set(request.lane.key, list);
    }
    // In key order: two processes' statements lock shared lanes in the same order, never each
    // waiting for the other (a deadlock would leave both batches unpaced).
    const lanes = [...byKey]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, requests]) => {
        const { interval, tolerance } = cadence(
          requests[0]?.lane ?? { budget: { perMinute: 60, burst: 1 }, ordered: false },
        );
        return { k, n: requests.length, t: interval, w: tolerance };
      });
    const now = this.now();
    let rows: { key: string; tat: number | string }[];
    try {
      // A store that does not answer must not hold Slack calls back: past this, they go unpaced.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${RESERVE_DEADLINE_MS} ms`)),
          RESERVE_DEADLINE_MS,
        );
      });
      try {
        rows = (await Promise.race([this.#raw(RESERVE_SQL, [JSON.stringify(lanes), now]), late])) as {
          key: string;
          tat: number | string;
        }[];
      } finally {
        clearTimeout(timer);
      }
    } catch (cause) {
      // Pacing is a courtesy to Slack: without the store, calls go now (a 429 still slows them).
      if (!this.#warned)
        this.logger.warn('the lanes could not be read; calls are not paced until they can', {
          cause: String(cause),
        });
      this.#warned = true;
      for (const request of queue) request.resolve(0);
      return;
    }
    this.#warned = false;
    const after = this.now();
    for (const row of rows) {
      const requests = byKey.get(row.key) ?? [];
      const first = requests[0];
      if (!first) continue;
      const { interval, tolerance } = cadence(first.lane);
      const start = Number(row.tat) - requests.length * interval; // the schedule before these
      requests.forEach((request, i) => {
        request.resolve(Math.max(0, start + i * interval - tolerance - after));
      });
      byKey.delete(row.key);
    }
    for (const requests of byKey.values()) for (const request of requests) request.resolve(0);
  }
}
