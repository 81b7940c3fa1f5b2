import { count } from 'drizzle-orm';
import { type Config, ConfigError, requireKeys } from '../config.js';
import type { Logger } from '../core/context.js';
import { normalizeEnvelope } from '../core/normalize.js';
import type { DatabaseHandle } from '../db/database.js';
import { installations } from '../db/schema.js';
import { logDelivery, logOutcomes } from '../delivery-log.js';
import { dispatch } from '../dispatch.js';
import { startDrainLoop } from '../runtime/drain-loop.js';
import { keepAliveFetch } from '../runtime/keep-alive-fetch.js';
import { createPipeline } from '../services.js';
import { type Envelope, SocketLink, type SocketModeFatalError } from './connection.js';

export interface RunningShim {
  /** Stops taking envelopes, finishes what is running (acks and effects), disconnects. */
  stop(): Promise<void>;
}

/**
 * The Socket Mode shim: envelopes go through the same normalize → route → record → ack → run path
 * as HTTP deliveries. A delivery that cannot be recorded is left unacked, and Slack redelivers it.
 */
export async function startSocketShim(options: {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  onFatal: (error: SocketModeFatalError) => void;
}): Promise<RunningShim> {
  const config = requireKeys(options.config, ['SLACK_APP_TOKEN']);
  const { database, logger } = options;
  if (!config.SLACK_BOT_TOKEN) {
    const [row] = await database.db.select({ n: count() }).from(installations);
    if (!row?.n) {
      throw new ConfigError(
        'SLACK_BOT_TOKEN',
        'SLACK_BOT_TOKEN is required (no installation is stored either): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
      );
    }
  }
  const fetch = keepAliveFetch();
  const pipeline = createPipeline({ config, database, logger, slackFetch: fetch });
  const running = new Set<Promise<void>>();
  let stopping = false;
  let outage = false;

  async function handle({ raw, ack }: Envelope): Promise<void> {
    const started = performance.now();
    const normalized = normalizeEnvelope(raw);
    if (!normalized.ok) {
      // Nothing can ever be made of it: ack so Slack stops redelivering, and say so.
      logger.warn(`envelope ignored: ${normalized.error.message}`, { envelope: String(raw.envelope_id) });
      await ack();
      return;
    }
    const { event, acceptsResponsePayload } = normalized.value;
    const result = await dispatch(event, pipeline);
    if (result.status === 'unavailable') {
      if (!outage) logDelivery(logger, event, result, performance.now() - started);
      outage = true; // one line per outage; Slack redelivers the unacked envelopes
      return;
    }
    if (result.status === 'rejected') {
      // The store refused its data: a redelivery would be refused again. Ack, drop, say so.
      logDelivery(logger, event, result, performance.now() - started);
      await ack();
      return;
    }
    if (outage) logger.info('store reachable again');
    outage = false;
    try {
      await ack(acceptsResponsePayload && result.body ? result.body : undefined);
    } catch (error) {
      // Recorded already: the redelivery Slack makes is a duplicate, and these effects still run once.
      logger.warn('ack not sent; Slack will redeliver (deduplicated)', {
        envelope: String(raw.envelope_id),
        error: error instanceof Error ? error.message : String(error),
      });
    }
    logDelivery(logger, event, result, performance.now() - started);
    if (result.recorded === 'new') {
      const outcomes = await result.run().catch((cause: unknown) => {
        logger.error('effects left for the next drain', { delivery: event.deliveryId, cause: String(cause) });
        return [];
      });
      logOutcomes(logger, event, outcomes);
    }
  }

  const link = new SocketLink({
    appToken: config.SLACK_APP_TOKEN,
    slackApiUrl: config.SLACK_API_URL,
    fetch,
    logger,
    onFatal: options.onFatal,
    onEnvelope(envelope) {
      if (stopping) return; // unacked: Slack redelivers it to the next process
      const work = handle(envelope).catch((error: unknown) =>
        logger.error('delivery failed', { error: error instanceof Error ? error.message : String(error) }),
      );
      running.add(work);
      void work.finally(() => running.delete(work));
    },
  });
  await link.start();
  const drain = startDrainLoop(pipeline.executor, logger);
  return {
    async stop() {
      stopping = true;
      drain.stop();
      await Promise.allSettled([...running]);
      await pipeline.executor.idle();
      await link.stop();
    },
  };
}
