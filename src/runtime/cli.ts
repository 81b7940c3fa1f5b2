import { existsSync } from 'node:fs';
import { type Config, loadConfig } from '../config/settings.js';
import { ConfigError, StoreUnavailableError } from '../core/errors.js';
import { AlreadyRunningError } from '../db/locks.js';
import { DatabaseLockedError } from '../db/pglite.js';
import { SocketModeFatalError } from '../socket/connection.js';

/** Errors that are the user's to fix: one line, no stack trace. */
const USER_ERRORS = [
  ConfigError,
  StoreUnavailableError,
  DatabaseLockedError,
  SocketModeFatalError,
  AlreadyRunningError,
];

/** A user-facing start-up error that is not one of the classes above. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Reads `.env` (if present) into `process.env`, then parses the settings. */
export function nodeConfig(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return loadConfig(process.env);
}

/** Runs a command's `main`, printing a user mistake as one line and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof StartupError || USER_ERRORS.some((type) => error instanceof type)) {
      console.error(`error: ${(error as Error).message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  });
}
