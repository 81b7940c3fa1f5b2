import type { Logger } from '../../core/context.js';
import { logDrain } from '../delivery-log.js';
import type { DrainReport } from './executor.js';

/** How often a long-running process drains leftovers (retries that came due, a crashed peer's effects). */
export const DRAIN_EVERY_MS = 5_000;

/** Drains now and then every `everyMs`, logging what it did; `stop()` ends it. */
export function startDrainLoop(
  executor: { drain(): Promise<DrainReport> },
  logger: Logger,
  everyMs = DRAIN_EVERY_MS,
): { stop(): void } {
  let running = false;
  let failing = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const report = await executor.drain();
      if (failing) logger.info('drain: store reachable again');
      failing = false;
      logDrain(logger, report); // counts, and each effect that failed for good
    } catch (error) {
      if (!failing)
        logger.warn('drain failed; will try again', {
          error: error instanceof Error ? error.message : String(error),
        });
      failing = true; // once per outage, not every tick
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
