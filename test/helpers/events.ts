import { createRoutes } from '../../src/app/routes.js';
import { testContext } from '../../src/app/testing.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { eventOf, runHandler } from '../../src/testing/run-handler.js';
import { fixture } from './fixtures.js';

/** The normalized event of a fixture (HTTP form). */
export function fixtureEvent(name: string): NormalizedEvent {
  return eventOf(fixture(name));
}

/** Routes a fixture through the reference app's router: what the router decided (no event). */
export async function routeFixture(name: string, ctx = testContext()) {
  const { event: _event, ...routed } = await runHandler(createRoutes(), fixture(name), ctx);
  return routed;
}
