import * as z from 'zod';
import { ConfigError } from '../core/errors.js';

/** The reference app's own settings. */
export const SettingsSchema = z.object({
  /** The product whose links are unfurled, e.g. https://app.example.com */
  APP_URL: z
    .url()
    .default('https://app.example.com')
    .transform((url) => new URL(url)),
});

/** What the handlers read. */
export interface Settings {
  appUrl: URL;
}

/** Parses the app's settings from `process.env` or Worker bindings; an error names the variable. */
export function parseSettings(env: Record<string, unknown>): Settings {
  const value = env.APP_URL === '' ? undefined : env.APP_URL;
  const parsed = SettingsSchema.safeParse({ APP_URL: value });
  if (parsed.success) return { appUrl: parsed.data.APP_URL };
  throw new ConfigError(
    'APP_URL',
    `APP_URL is invalid (${parsed.error.issues[0]?.message}): your product's base URL, e.g. https://app.example.com`,
  );
}

/** The app's public URL from the environment (the manifest tools fill `${APP_URL}` with it). */
export const appUrlOf = (env: Record<string, unknown>): URL => parseSettings(env).appUrl;
