import { type Effect, effectName } from '../core/action.js';
import type { Logger } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import { batched } from '../db/batch.js';
import { type Annotation, annotateDeliveries } from '../db/inspect.js';
import { redactValue } from '../log/redact.js';
import type { Pipeline } from '../pipeline/build.js';
import type { Taken } from '../pipeline/take-delivery.js';
import type { EffectSeen, Ring, RingEntry } from './ring.js';

/** How `observe` keeps what it sees. */
export interface ObserveOptions {
  /** Store the redacted normalized event in the delivery's row (DELIVERY_PAYLOADS). */
  payloads: boolean;
  logger: Logger;
}

/** The key a replay key replays: `replay:<key>:<n>` → `<key>`. */
export function replayedKey(key: string): string | null {
  const match = /^replay:(.*):\d+$/.exec(key);
  return match?.[1] ?? null;
}

/** An event redacted for keeping: tokens, `token` fields and response URLs gone. */
export function redactEvent(event: NormalizedEvent): Record<string, unknown> {
  const redacted = redactValue(event);
  return typeof redacted === 'object' && redacted !== null && !Array.isArray(redacted)
    ? Object.fromEntries(Object.entries(redacted))
    : {};
}

/**
 * Wraps a pipeline so every delivery it takes goes into `ring` (redacted) with its dedup outcome,
 * ack time, actions and, once they ran, its effects' outcomes. After the ack (inside `after()`, never
 * on the ack path) the delivery's row gets its name, source, handler, ack time and, with `payloads`,
 * its redacted event: one batched statement for the deliveries that arrive together.
 */
export function observe(pipeline: Pipeline, ring: Ring, options: ObserveOptions): Pipeline {
  const pending = new Set<Promise<unknown>>();
  const annotate = batched((items: Annotation[]) =>
    annotateDeliveries(pipeline.database.raw, items).then(() => items),
  );
  const track = (promise: Promise<unknown>) => {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  };

  async function take(event: NormalizedEvent, takeOptions: { receivedAt?: number } = {}): Promise<Taken> {
    const receivedAt = takeOptions.receivedAt ?? performance.now();
    const taken = await pipeline.take(event, { ...takeOptions, receivedAt });
    const ackMs = Math.round((performance.now() - receivedAt) * 10) / 10;
    const ack = taken.status === 'ack' ? taken : null;
    // Only references here: the ack leaves first, redaction and the ring come on the next turn.
    const entry: Omit<RingEntry, 'seq'> = {
      at: new Date(),
      key: event.deliveryId,
      source: event.source,
      kind: event.kind,
      name: event.name,
      team: event.teamId,
      channel: event.channelId,
      user: event.userId,
      handler: ack?.handler ?? null,
      outcome: taken.status === 'ack' ? taken.recorded : taken.status,
      ackMs,
      ackBody: null,
      error: taken.error,
      actions: [],
      effects: ack?.recorded === 'new' ? ack.effects.map(seen) : [],
      event: {},
      replayOf: replayedKey(event.deliveryId),
    };
    const kept = new Promise<RingEntry>((resolve) =>
      setImmediate(() => {
        entry.event = redactEvent(event);
        entry.ackBody = redactValue(ack?.body ?? null);
        entry.actions = (ack?.effects ?? []).map((effect) => redactValue(effect));
        resolve(ring.add(entry));
      }),
    );
    track(kept);
    if (ack?.recorded !== 'new') return taken;
    const run: typeof ack.after = async (runOptions) => {
      const { event: redacted } = await kept;
      const annotation: Annotation = {
        dedupKey: event.deliveryId,
        name: event.name,
        source: event.source,
        channelId: event.channelId,
        userId: event.userId,
        handler: ack.handler,
        ackMs,
        event: options.payloads ? redacted : null,
      };
      // Name, source, channel, user and handler went in with the row; a second write only for the event.
      if (options.payloads)
        track(
          annotate(annotation).catch((cause: unknown) =>
            options.logger.warn('inspector: could not annotate the delivery', {
              delivery: event.deliveryId,
              cause: String(cause),
            }),
          ),
        );
      const outcomes = await ack.after(runOptions);
      const full = await kept;
      for (const [i, outcome] of outcomes.entries()) {
        const effect = full.effects[i];
        if (!effect) continue;
        effect.status = outcome.status;
        effect.attempts += 1;
        effect.ms = outcome.ms;
        effect.error = outcome.error ? String(redactValue(outcome.error)) : null;
      }
      ring.touched(full);
      return outcomes;
    };
    const after: typeof ack.after = (runOptions) => {
      const running = run(runOptions);
      track(running);
      return running;
    };
    return { ...ack, after };
  }

  return {
    take,
    drain: () => pipeline.drain(),
    async idle() {
      // Effects wait for their ring entry, and the annotation for the effects' start: until both are quiet.
      for (;;) {
        await pipeline.idle();
        if (pending.size === 0) return;
        await Promise.allSettled([...pending]);
      }
    },
    database: pipeline.database,
    routes: () => pipeline.routes(),
  };
}

function seen(effect: Effect): EffectSeen {
  return { name: effectName(effect), status: 'pending', attempts: 0, ms: null, error: null };
}
