import type * as z from 'zod';
import type { ApiMethod } from './action.js';
import type { AppTypes } from './context.js';
import type { TaskTable } from './conversation.js';
import type { Router } from './router.js';

/**
 * A Slack app built on the router: its route table, and what it declares once for its handlers
 * (look-ups, settings) and for the executor (store writes). `S` is the store handle the pipeline
 * opens and hands over; the core never opens one.
 */
export interface SlackApp<T extends AppTypes = AppTypes, S = unknown> {
  router: Router<T>;
  /** Parses the app's own settings from the environment, once; throws a one-line error naming a bad one. */
  settings(env: Record<string, unknown>): T['settings'];
  /** The read-only look-ups handlers get, over the store. */
  lookups(store: S): T['lookups'];
  /** The app's store writes: their schema (to read them back from the outbox) and how one is applied. */
  writes: {
    schema: z.ZodType<T['write']>;
    apply(store: S, write: T['write']): Promise<void>;
  };
  /** The app's tasks (its non-Slack work) by the name `task(name, input)` uses, given its settings. */
  tasks?(settings: T['settings']): TaskTable;
  /**
   * Bot scopes of methods the manifest check has no table entry for (it says which). The methods
   * themselves come from the routes (`calls` in `router.on`), never from a list kept here.
   */
  scopes?: Partial<Record<ApiMethod, readonly string[]>>;
}

/** Declares an app; the identity function, there for inference. */
export function defineApp<T extends AppTypes, S>(app: SlackApp<T, S>): SlackApp<T, S> {
  return app;
}
