import type { Logger } from '../../core/context.js';

/** setTimeout's longest delay: a later wake-up is re-armed when this one fires. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Drains when deferred timers (`later`) come due: one `setTimeout` for the earliest, re-armed for the
 * next once it fired. It keeps no process alive (`unref`).
 */
export class Wakeups {
  #due: number[] = [];
  #armed: { at: number; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(
    private readonly drain: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Drains at `at` (epoch ms), or soon after. */
  at(at: number): void {
    this.#due.push(at);
    this.#due.sort((a, b) => a - b);
    this.#arm();
  }

  /** Forgets every wake-up (at shutdown). */
  stop(): void {
    if (this.#armed) clearTimeout(this.#armed.timer);
    this.#armed = null;
    this.#due = [];
  }

  #arm(): void {
    const next = this.#due[0];
    if (next === undefined || (this.#armed && this.#armed.at <= next)) return;
    if (this.#armed) clearTimeout(this.#armed.timer);
    const delay = Math.min(Math.max(0, next - Date.now()), MAX_TIMEOUT_MS);
    const timer = setTimeout(() => {
      this.#armed = null;
      const now = Date.now();
      this.#due = this.#due.filter((at) => at > now);
      this.drain()
        .catch((error: unknown) =>
          this.logger.warn('drain for a timer failed; the next drain runs it', { error: String(error) }),
        )
        .finally(() => this.#arm());
    }, delay);
    timer.unref?.();
    this.#armed = { at: next, timer };
  }
}
