/** The reference app: Slack channels linked to the product's organizations. */

import { defineApp } from '../core/app.js';
import type { Logger } from '../core/context.js';
import type { StoreHandle } from '../db/database.js';
import { createRoutes } from './routes.js';
import { parseSettings } from './settings.js';
import { applyWrite } from './store/apply.js';
import { DbLookups } from './store/lookups.js';
import { appTasks } from './tasks.js';
import type { LinkApp } from './types.js';
import { WriteSchema } from './writes.js';

/** The app, with its route table logging through `logger`. */
export function linkApp(logger?: Logger) {
  return defineApp<LinkApp, StoreHandle>({
    router: createRoutes(logger),
    settings: parseSettings,
    lookups: (store) => new DbLookups(store),
    writes: { schema: WriteSchema, apply: applyWrite },
    tasks: (settings) => appTasks(settings),
  });
}
