import type { StoreWrite } from './action.js';

/**
 * What an app declares once and the router carries to its handlers and the executor: its read-only
 * look-ups, its settings, and its store writes.
 */
export interface AppTypes {
  lookups: object;
  settings: object;
  write: StoreWrite;
}

/** Everything a handler gets besides the event. Nothing in it writes or calls Slack. */
export interface HandlerContext<T extends AppTypes = AppTypes> {
  lookups: T['lookups'];
  settings: T['settings'];
  now: () => Date;
}

/** Where the framework writes its lines; `console` fits. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether lines at `level` are written; callers skip building a line nobody reads. Absent: all are. */
  enabled?(level: 'debug' | 'info' | 'warn' | 'error'): boolean;
}
