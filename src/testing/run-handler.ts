import type { AppTypes, HandlerContext } from '../core/context.js';
import type { NormalizedEvent } from '../core/event.js';
import { normalizeEnvelope, normalizeHttp } from '../core/normalize.js';
import type { Routed, Router } from '../core/router.js';
import { type Fixture, httpForm, socketForm } from './fixtures.js';

/** The normalized event of a fixture, as it arrives over HTTP (default) or Socket Mode. */
export function eventOf(fixture: Fixture, source: 'http' | 'socket' = 'http'): NormalizedEvent {
  if (source === 'socket') {
    const result = normalizeEnvelope(socketForm(fixture));
    if (!result.ok) throw result.error;
    return result.value.event;
  }
  const result = normalizeHttp(httpForm(fixture));
  if (!result.ok) throw result.error;
  if (result.value.type !== 'event') throw new Error(`fixture ${fixture.name} is not an event`);
  return result.value.event;
}

/**
 * Runs the handler `router` has for `fixture` with `ctx` (fake look-ups, settings and a clock),
 * and returns what it decided: the ack body and the effects. No I/O.
 */
export function runHandler<T extends AppTypes>(
  router: Router<T>,
  fixture: Fixture | NormalizedEvent,
  ctx: HandlerContext<T>,
): Promise<Routed<T['write']>> {
  const event = 'kind' in fixture && 'deliveryId' in fixture ? fixture : eventOf(fixture);
  return router.dispatch(event, ctx);
}
