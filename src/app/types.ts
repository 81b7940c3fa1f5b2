import type { Action } from '../core/action.js';
import type { AppTypes } from '../core/context.js';
import type { Handler } from '../core/router.js';
import type { Lookups } from './lookups.js';
import type { Settings } from './settings.js';
import type { Write } from './writes.js';

/** The reference app's declarations: what its handlers look up, read and write. */
export interface LinkApp extends AppTypes {
  lookups: Lookups;
  settings: Settings;
  write: Write;
}

/** A handler of the reference app, for the event `E`. */
export type AppHandler<E> = Handler<LinkApp, E>;

/** What a handler of the reference app returns. */
export type AppAction = Action<Write>;
