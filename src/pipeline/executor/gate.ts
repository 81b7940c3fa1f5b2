/**
 * At most `limit` holders at once; the rest wait in order. The executor runs this many deliveries'
 * effects at a time: past it they queue, so acks (which have a deadline) keep the CPU during a burst
 * and Slack is not sent thousands of calls in the same instant.
 */
export class Gate {
  readonly #waiting: (() => void)[] = [];
  #holders = 0;

  constructor(private readonly limit: number) {}

  /** Takes a place if one is free now (then call `leave()` once done): no promise on the common path. */
  tryEnter(): boolean {
    if (this.#holders >= this.limit) return false;
    this.#holders++;
    return true;
  }

  /** Resolves when a place is free; call `leave()` once done. */
  enter(): Promise<void> {
    if (this.#holders < this.limit) {
      this.#holders++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Takes a place back at once, past the limit if it must: for one that gave its place up only to wait
   * (for its rate-limit lane), so its turn is not lost behind later arrivals.
   */
  reenter(): void {
    this.#holders++;
  }

  /** Frees a place, handing it to the next waiter if any. */
  leave(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#holders--;
  }
}
