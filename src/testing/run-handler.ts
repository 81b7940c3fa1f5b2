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

/** What `runHandler` answers: the router's decision, and the event it decided on (`click` reads it). */
export type Handled<T extends AppTypes> = Routed<T['write']> & { event: NormalizedEvent };

/**
 * Runs the handler `router` has for `fixture` (a file's, or one from `build`) with `ctx` (fake
 * look-ups, settings and a clock), and returns what it decided: the ack body and the effects, and
 * the normalized event. No I/O.
 */
export async function runHandler<T extends AppTypes>(
  router: Router<T>,
  fixture: Fixture | NormalizedEvent,
  ctx: HandlerContext<T>,
): Promise<Handled<T>> {
  const event = 'kind' in fixture && 'deliveryId' in fixture ? fixture : eventOf(fixture);
  return { ...(await router.dispatch(event, ctx)), event };
}
