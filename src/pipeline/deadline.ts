/** A wait that ran out: the work may still finish later. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** A countdown started by `countdown`: `cancel()` it once the work ended in time. */
export interface Countdown {
  cancel(): void;
}

/** One countdown waiting in its lane: newest last, so the oldest is always the next to end. */
class Waiting implements Countdown {
  prev: Waiting | null = null;
  next: Waiting | null = null;

  constructor(
    readonly lane: Lane,
    readonly at: number,
    public expire: (() => void) | null,
  ) {}

  cancel(): void {
    if (this.expire === null) return;
    this.expire = null;
    this.lane.remove(this);
  }
}

/**
 * Every countdown of one length, in the order they started (so in the order they end), under one
 * timer armed for the oldest. Starting or cancelling one is a few pointer moves: no timer each.
 */
class Lane {
  #oldest: Waiting | null = null;
  #newest: Waiting | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly ms: number) {}

  add(expire: () => void): Waiting {
    const waiting = new Waiting(this, performance.now() + this.ms, expire);
    waiting.prev = this.#newest;
    if (this.#newest) this.#newest.next = waiting;
    else this.#oldest = waiting;
    this.#newest = waiting;
    if (this.#timer === undefined) this.#arm(this.ms);
    return waiting;
  }

  remove(waiting: Waiting): void {
    if (waiting.prev) waiting.prev.next = waiting.next;
    else this.#oldest = waiting.next;
    if (waiting.next) waiting.next.prev = waiting.prev;
    else this.#newest = waiting.prev;
    waiting.prev = null;
    waiting.next = null;
    // Nothing left to time: no timer holds the process open.
    if (this.#oldest === null && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, Math.ceil(ms)));
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (let oldest = this.#oldest; oldest !== null && oldest.at <= now; oldest = this.#oldest) {
      const { expire } = oldest;
      oldest.cancel();
      expire?.();
    }
    if (this.#oldest !== null && this.#timer === undefined) this.#arm(this.#oldest.at - now);
  }
}

const lanes = new Map<number, Lane>();
/** Lengths given one shared timer; callers use a few fixed ones, anything past this gets a timer each. */
const MAX_LANES = 32;

/**
 * Calls `expire` once `ms` have passed, unless cancelled first. Countdowns of the same length share
 * one timer (they end in the order they start): each delivery starts two or three, and a timer each
 * cost more than the rest of their bookkeeping.
 */
export function countdown(ms: number, expire: () => void): Countdown {
  let lane = lanes.get(ms);
  if (!lane) {
    if (lanes.size >= MAX_LANES) {
      const timer = setTimeout(expire, ms);
      return { cancel: () => clearTimeout(timer) };
    }
    lane = new Lane(ms);
    lanes.set(ms, lane);
  }
  return lane.add(expire);
}

/**
 * `work`, or a `DeadlineError` once `ms` have passed. The work is not cancelled: whoever started it
 * decides what its late result means.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  // One promise and one countdown: it runs for every delivery (Promise.race + finally made three).
  return new Promise<T>((resolve, reject) => {
    const timer = countdown(ms, () => reject(new DeadlineError(`${what}: no answer in ${ms} ms`)));
    work.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}

/**
 * `work`, or what `late` makes of the `DeadlineError` once `ms` have passed: `withDeadline` for a
 * caller that answers a late result rather than throwing (no rejection to catch, no promise more).
 */
export function settleBy<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  late: (error: DeadlineError) => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = countdown(ms, () => resolve(late(new DeadlineError(`${what}: no answer in ${ms} ms`))));
    work.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}
