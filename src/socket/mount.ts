import type { Logger } from '../core/context.js';
import { normalizeEnvelope } from '../core/normalize.js';
import type { Pipeline } from '../pipeline/build.js';
import type { Envelope } from './connection.js';

/** The Socket Mode mount: what to do with each envelope, and how to stop taking them. */
export interface SocketMount {
  onEnvelope(envelope: Envelope): void;
  /** Stops taking envelopes (new ones stay unacked, so Slack redelivers them) and waits for those running. */
  stop(): Promise<void>;
}

/**
 * Envelopes go through the same pipeline as HTTP deliveries: normalize → take → ack → run after
 * the ack. A delivery that cannot be recorded is left unacked, and Slack redelivers it.
 */
export function socketMount(pipeline: Pipeline, logger: Logger): SocketMount {
  const running = new Set<Promise<void>>();
  let stopping = false;

  async function take({ raw, ack }: Envelope): Promise<void> {
    const receivedAt = performance.now();
    const normalized = normalizeEnvelope(raw);
    if (!normalized.ok) {
      // Nothing can ever be made of it: ack so Slack stops redelivering, and say so.
      logger.warn(`envelope ignored: ${normalized.error.message}`, { envelope: String(raw.envelope_id) });
      await ack();
      return;
    }
    const { event, acceptsResponsePayload } = normalized.value;
    const taken = await pipeline.take(event, { receivedAt });
    if (taken.status === 'unavailable') return; // unacked: Slack redelivers it
    if (taken.status === 'rejected') {
      // The store refused its data: a redelivery would be refused again. Ack and drop (logged once).
      await ack();
      return;
    }
    try {
      await ack(acceptsResponsePayload && taken.body ? taken.body : undefined);
    } catch (error) {
      // Recorded already: the redelivery Slack makes is a duplicate, and these effects still run once.
      logger.warn('ack not sent; Slack will redeliver (deduplicated)', {
        envelope: String(raw.envelope_id),
        error: error instanceof Error ? error.message : String(error),
      });
    }
    await taken.after();
  }

  return {
    onEnvelope(envelope) {
      if (stopping) return;
      const work = take(envelope).catch((error: unknown) =>
        logger.error('delivery failed', { error: error instanceof Error ? error.message : String(error) }),
      );
      running.add(work);
      void work.finally(() => running.delete(work));
    },
    async stop() {
      stopping = true;
      await Promise.allSettled([...running]);
    },
  };
}
