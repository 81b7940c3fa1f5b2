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
  /** An OpenAI-compatible endpoint for the assistant's answers, e.g. https://api.openai.com/v1 */
  MODEL_BASE_URL: z.url().optional(),
  /** The model's name at that endpoint, e.g. gpt-4.1-mini */
  MODEL_NAME: z.string().min(1).optional(),
  /** The endpoint's key (a secret: never logged). */
  MODEL_API_KEY: z.string().min(1).optional(),
  /** With no model: the scripted model's pause between pieces of its answer, in ms. */
  MODEL_SCRIPT_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(15),
});

/** What the handlers read. */
export interface Settings {
  appUrl: URL;
  /** With it, a mention answers "Looking up…" at once and updates that message with the summary. */
  productApi: URL | null;
  /** The assistant's model (an OpenAI-compatible endpoint); null: the scripted model answers. */
  model: { baseUrl: string; name: string; apiKey: string | null } | null;
  scriptDelayMs: number;
}

const HINTS: Record<string, string> = {
  APP_URL: "your product's base URL, e.g. https://app.example.com",
  PRODUCT_API_URL: "your product's API, e.g. https://app.example.com/api (it answers /orgs/<slug>)",
  MODEL_BASE_URL: 'an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1 (set MODEL_NAME with it)',
  MODEL_NAME: "the model's name at MODEL_BASE_URL, e.g. gpt-4.1-mini",
  MODEL_SCRIPT_DELAY_MS: 'milliseconds between pieces of the scripted answer, 0 to 10000',
};

/** Parses the app's settings from `process.env` or Worker bindings; an error names the variable. */
export function parseSettings(env: Record<string, unknown>): Settings {
  const blank = (value: unknown) => (value === '' ? undefined : value);
  const parsed = SettingsSchema.safeParse({
    APP_URL: blank(env.APP_URL),
    PRODUCT_API_URL: blank(env.PRODUCT_API_URL),
    MODEL_BASE_URL: blank(env.MODEL_BASE_URL),
    MODEL_NAME: blank(env.MODEL_NAME),
    MODEL_API_KEY: blank(env.MODEL_API_KEY),
    MODEL_SCRIPT_DELAY_MS: blank(env.MODEL_SCRIPT_DELAY_MS),
  });
  if (parsed.success) {
    const { MODEL_BASE_URL: baseUrl, MODEL_NAME: name } = parsed.data;
    if (Boolean(baseUrl) !== Boolean(name)) {
      const missing = baseUrl ? 'MODEL_NAME' : 'MODEL_BASE_URL';
      throw new ConfigError(missing, `${missing} is not set: ${HINTS[missing]} (the two go together)`);
    }
    return {
      appUrl: parsed.data.APP_URL,
      productApi: parsed.data.PRODUCT_API_URL,
      model: baseUrl && name ? { baseUrl, name, apiKey: parsed.data.MODEL_API_KEY ?? null } : null,
      scriptDelayMs: parsed.data.MODEL_SCRIPT_DELAY_MS,
    };
  }
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? 'APP_URL');
  throw new ConfigError(variable, `${variable} is invalid (${issue?.message}): ${HINTS[variable] ?? ''}`);
}

/** The app's public URL from the environment (the manifest tools fill `${APP_URL}` with it). */
export const appUrlOf = (env: Record<string, unknown>): URL => parseSettings(env).appUrl;
