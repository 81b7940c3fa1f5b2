import { fileURLToPath } from 'node:url';
import { fixtureFolder } from '../../src/testing/fixtures.js';

export { type Fixture, httpForm, socketForm } from '../../src/testing/fixtures.js';

const folder = fixtureFolder(fileURLToPath(new URL('../fixtures/slack/', import.meta.url)));

/** Every fixture's name in test/fixtures/slack. */
export const fixtureNames = folder.names;

/** Loads `test/fixtures/slack/<name>.json`. */
export const fixture = folder.load;
