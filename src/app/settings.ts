import * as z from 'zod';
import { ConfigError } from '../core/errors.js';

/** The reference app's own settings. */
export const SettingsSchema = z.object({
  /** The product whose links are unfurled, e.g. https://app.example.com */
  APP_URL: z
    .url()
    .default('https://app.example.com')
    .transform((url) => new URL(url)),
  /** The product's API (`<it>/orgs/<slug>` answers an organization's summary); unset: mentions reply at once. */
  PRODUCT_API_URL: z
    .url()
    .optional()
    .transform((url) => (url ? new URL(url.endsWith('/') ? url : `${url}/`) : null)),
});

/** What the handlers read. */
export interface Settings {
  appUrl: URL;
  /** With it, a mention answers "Looking up…" at once and updates that message with the summary. */
  productApi: URL | null;
}

const HINTS: Record<string, string> = {
  APP_URL: "your product's base URL, e.g. https://app.example.com",
  PRODUCT_API_URL: "your product's API, e.g. https://app.example.com/api (it answers /orgs/<slug>)",
};

/** Parses the app's settings from `process.env` or Worker bindings; an error names the variable. */
export function parseSettings(env: Record<string, unknown>): Settings {
  const blank = (value: unknown) => (value === '' ? undefined : value);
  const parsed = SettingsSchema.safeParse({
    APP_URL: blank(env.APP_URL),
    PRODUCT_API_URL: blank(env.PRODUCT_API_URL),
  });
  if (parsed.success) return { appUrl: parsed.data.APP_URL, productApi: parsed.data.PRODUCT_API_URL };
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? 'APP_URL');
  throw new ConfigError(variable, `${variable} is invalid (${issue?.message}): ${HINTS[variable] ?? ''}`);
}

/** The app's public URL from the environment (the manifest tools fill `${APP_URL}` with it). */
export const appUrlOf = (env: Record<string, unknown>): URL => parseSettings(env).appUrl;
