import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import * as z from 'zod';
import { loadConfig } from '../config/settings.js';
import { ConfigError } from '../core/errors.js';
import { readConfigTokens } from './config-token.js';
import { ManifestError } from './errors.js';
import { LiveApp } from './live.js';
import { loadManifest, placeholderValues } from './placeholders.js';

/** Where a manifest command writes, and the folder holding `.env` and `manifest.yaml`. */
export interface CommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
}

/** The process's streams and working directory. */
export const processIo: CommandIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  cwd: process.cwd(),
};

const AppIdSchema = z.string({ error: 'is required' }).regex(/^A[A-Z0-9]{6,}$/, 'must look like A0123456789');

/** `env` with `.env` (in `cwd`) filling what it leaves unset, as `process.loadEnvFile` would. */
export function withEnvFile(
  env: Record<string, string | undefined>,
  cwd: string,
): Record<string, string | undefined> {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return { ...env };
  const fromFile = parseEnv(readFileSync(file, 'utf8'));
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return merged;
}

/** The app's public URL (`APP_URL` for the reference app), read from the merged environment by the app's own settings. */
export type AppUrlOf = (env: Record<string, string | undefined>) => URL;

/** `manifest.yaml` in `io.cwd` with its placeholders filled from `env` and `.env`. */
export function localManifest(
  env: Record<string, string | undefined>,
  io: CommandIo,
  appUrlOf: AppUrlOf,
): Record<string, unknown> {
  const merged = withEnvFile(env, io.cwd);
  return loadManifest(join(io.cwd, 'manifest.yaml'), placeholderValues(merged, appUrlOf(merged)));
}

/** The local manifest (placeholders filled from `env`) and the live app, ready to compare. */
export function openManifestCommand(
  env: Record<string, string | undefined>,
  io: CommandIo,
  appUrlOf: AppUrlOf,
): { local: Record<string, unknown>; live: LiveApp; appId: string } {
  const merged = withEnvFile(env, io.cwd);
  const config = loadConfig(merged);
  const local = localManifest(env, io, appUrlOf);
  const appId = AppIdSchema.safeParse(merged.SLACK_APP_ID || undefined);
  if (!appId.success)
    throw new ManifestError(
      `SLACK_APP_ID ${appId.error.issues[0]?.message}: copy the App ID from your app's Basic Information page (https://api.slack.com/apps)`,
      'config',
    );
  const tokens = readConfigTokens(merged);
  const live = new LiveApp({
    slackApiUrl: config.SLACK_API_URL,
    appId: appId.data,
    tokens,
    envFile: join(io.cwd, '.env'),
    tokensFromEnvironment: Boolean(env.SLACK_CONFIG_TOKEN || env.SLACK_CONFIG_REFRESH_TOKEN),
    notice: io.err,
  });
  return { local, live, appId: appId.data };
}

/** Prints `error` as one line (a stack only for a bug) and returns exit code 2. */
export function reportError(
  error: unknown,
  io: CommandIo,
  userErrors: (new (...args: never[]) => Error)[],
): number {
  if (!(error instanceof Error)) io.err(`error: ${String(error)}`);
  else if (
    error instanceof ManifestError ||
    error instanceof ConfigError ||
    userErrors.some((t) => error instanceof t)
  )
    io.err(`error: ${error.message}`);
  else io.err(error.stack ?? error.message); // a bug, not a user mistake: keep the stack
  return 2;
}

/** True when the module at `url` is the script node was started with (not imported by a test). */
export function isEntry(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
