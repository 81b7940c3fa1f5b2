import type { Logger } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import type { DrainReport, Outcome } from './executor/executor.js';
import type { Taken } from './take-delivery.js';

/** Counts the deliveries refused during one outage, so it is logged once, not once per delivery. */
export interface OutageLog {
  refused: number;
}

/** The one line a delivery gets: what it was, who handled it, how fast it was acked. */
export function logDelivery(
  logger: Logger,
  event: NormalizedEvent,
  taken: Taken,
  ackMs: number,
  outage: OutageLog = { refused: 0 },
): void {
  if (event.kind === 'event' && event.name === 'app_rate_limited' && event.retryNum === 0) {
    warnRateLimited(logger, event.teamId, event.eventTime);
  }
  // The common case under load, with LOG_LEVEL above info: nothing to build.
  if (taken.status === 'ack' && outage.refused === 0 && logger.enabled?.('info') === false) return;
  const fields = {
    team: event.teamId ?? undefined,
    channel: event.channelId ?? undefined,
    user: event.userId ?? undefined,
    retry: event.retryNum > 0 ? `${event.retryNum}:${event.retryReason ?? ''}` : undefined,
    via: event.source,
  };
  const what = `${event.kind} ${event.name}`;
  if (taken.status === 'unavailable') {
    if (outage.refused++ === 0) {
      logger.warn(`${what} not acked: store unavailable, Slack will redeliver`, {
        ...fields,
        error: taken.error,
      });
    }
    return;
  }
  if (taken.status === 'rejected') {
    logger.warn(`${what} refused: ${taken.error}`, fields);
    return;
  }
  if (outage.refused > 0) {
    logger.info('store reachable again', { refused: outage.refused });
    outage.refused = 0;
  }
  // A kind the router does not model, that nobody handles, is not news.
  const level = taken.handler === null && isUnmodeled(event) ? 'debug' : 'info';
  logger[level](what, {
    ...fields,
    handler: taken.handler ?? 'none',
    // A step is not acked to anyone: its time is routing and recording.
    [event.source === 'step' ? 'took' : 'ack']: `${ackMs.toFixed(1)}ms`,
    effects: taken.recorded === 'duplicate' ? 'duplicate' : taken.effects.length || undefined,
    error: taken.error ?? undefined,
  });
}

/** Slack drops this app's events for a workspace for a minute (over 30,000 events an hour). */
function warnRateLimited(logger: Logger, team: string | null, minute: number | null): void {
  const from = minute === null ? 'now' : new Date(minute * 1000).toISOString().slice(0, 16).replace('T', ' ');
  logger.warn(
    `app_rate_limited: Slack is dropping this app's events for team ${team ?? '(none)'} in the minute from ${from} UTC (over 30,000 an hour)`,
    { team: team ?? undefined, minute: minute ?? undefined },
  );
}

/** An `interactive` payload or a top-level type the router has no model of (not an event callback). */
const isUnmodeled = (event: NormalizedEvent) =>
  event.kind === 'interactive' ||
  (event.kind === 'event' && event.eventId === null && event.name !== 'app_rate_limited');

/** One line per effect run after the ack; one that failed for good names its attempts and Slack's error. */
export function logOutcomes(logger: Logger, event: NormalizedEvent, outcomes: Outcome[]): void {
  const quiet = logger.enabled?.('info') === false;
  for (const outcome of outcomes) {
    if (quiet && outcome.status === 'done') continue;
    const fields = { delivery: event.deliveryId, ms: outcome.ms, error: outcome.error };
    if (outcome.status === 'done') logger.info(`  ↳ ${outcome.effect} done`, fields);
    else if (outcome.status === 'retry') logger.warn(`  ↳ ${outcome.effect} retry`, fields);
    else {
      logger.error(`  ↳ ${outcome.effect} failed for good`, {
        delivery: event.deliveryId,
        attempts: outcome.attempts,
        error: outcome.error,
      });
    }
  }
}

/**
 * What a drain did: one line with the counts, then one error line per effect that failed for good,
 * naming its delivery (the row id `npm run deliveries -- show` takes), method, attempts and Slack's error.
 */
export function logDrain(logger: Logger, report: DrainReport): void {
  const { failures = [], ...counts } = report;
  if (counts.done + counts.retried + counts.failed + counts.pruned > 0) logger.info('drain', counts);
  for (const failure of failures) {
    logger.error(`effect failed for good: ${failure.effect}`, {
      delivery: failure.delivery,
      attempts: failure.attempts,
      error: failure.error,
    });
  }
}
