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

/** What a fresh clone is told when `.env` is missing and so is a required setting. */
export const NO_ENV_FILE =
  'no .env: cp .env.example .env, then fill it in; SLACK_SOCKET_MODE=true runs on a laptop without a public URL';

/** Reads `.env` (if present) into `process.env`, then parses the settings. */
export function nodeConfig(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return loadConfig(process.env);
}

/**
 * A required setting is missing where `.env.example` sits but `.env` was never made (a fresh clone,
 * or a server configured through its environment): the line names the variable, then the copy.
 */
function missingEnvFile(error: unknown): error is ConfigError {
  return (
    error instanceof ConfigError &&
    error.message.startsWith(`${error.variable} is required`) &&
    !existsSync('.env') &&
    existsSync('.env.example')
  );
}

/** Runs a command's `main`, printing a user mistake as one line and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (missingEnvFile(error)) {
      console.error(`error: ${error.message}; ${NO_ENV_FILE}`);
    } else if (error instanceof StartupError || USER_ERRORS.some((type) => error instanceof type)) {
      console.error(`error: ${(error as Error).message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  });
}
