import type { NormalizedEvent } from '../../src/core/event.js';
import { normalizeHttp } from '../../src/core/normalize.js';
import { createAppRouter } from '../../src/handlers/index.js';
import { fixture, httpForm } from './fixtures.js';
import { testContext } from './lookups.js';

/** The normalized event of a fixture (HTTP form). */
export function fixtureEvent(name: string): NormalizedEvent {
  const result = normalizeHttp(httpForm(fixture(name)));
  if (!result.ok) throw result.error;
  if (result.value.type !== 'event') throw new Error(`fixture ${name} is not an event`);
  return result.value.event;
}

/** Routes a fixture through the reference app's router. */
export function routeFixture(name: string, ctx = testContext()) {
  return createAppRouter().dispatch(fixtureEvent(name), ctx);
}
