/** Runs started and not finished, and who waits for none to be left (`Executor.idle()`). */
export class Running {
  #count = 0;
  #waiters: (() => void)[] = [];

  /** One more run (the hot path counts inline: no extra promise). */
  start(): void {
    this.#count++;
  }

  /** A run ended; wakes the waiters when it was the last. */
  end(): void {
    if (--this.#count > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Counts `work` as running until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.start();
    const ended = () => this.end();
    work.then(ended, ended);
    return work;
  }

  /** Resolves when no run is left. */
  async none(): Promise<void> {
    while (this.#count > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
