import type { Logger } from './core/context.js';
import type { NormalizedEvent } from './core/event.js';
import type { Dispatched } from './dispatch.js';
import type { Outcome } from './executor.js';

/** The one line a delivery gets: what it was, who handled it, how fast it was acked. */
export function logDelivery(logger: Logger, event: NormalizedEvent, result: Dispatched, ackMs: number): void {
  const fields = {
    team: event.teamId ?? undefined,
    channel: event.channelId ?? undefined,
    user: event.userId ?? undefined,
    retry: event.retryNum > 0 ? `${event.retryNum}:${event.retryReason ?? ''}` : undefined,
    via: event.source,
  };
  const what = `${event.kind} ${event.name}`;
  if (result.status === 'unavailable') {
    logger.warn(`${what} not acked: store unavailable, Slack will redeliver`, {
      ...fields,
      error: result.error,
    });
    return;
  }
  if (result.status === 'rejected') {
    logger.warn(`${what} refused: ${result.error}`, fields);
    return;
  }
  logger.info(what, {
    ...fields,
    handler: result.handler ?? 'none',
    ack: `${ackMs.toFixed(1)}ms`,
    effects: result.recorded === 'duplicate' ? 'duplicate' : result.effects.length || undefined,
    error: result.error ?? undefined,
  });
  logger.debug(`${what} payload`, { payload: event.payload });
}

/** One line per effect run after the ack. */
export function logOutcomes(logger: Logger, event: NormalizedEvent, outcomes: Outcome[]): void {
  for (const outcome of outcomes) {
    const line = `  ↳ ${outcome.effect} ${outcome.status}`;
    const fields = { delivery: event.deliveryId, ms: outcome.ms, error: outcome.error };
    if (outcome.status === 'done') logger.info(line, fields);
    else logger.warn(line, fields);
  }
}
