import * as z from 'zod';
import { ConfigError } from '../core/errors.js';
import { parseBudgets } from '../core/rate-limits.js';

/** Where to get each setting, for the one-line start-up error. */
const WHERE: Record<string, string> = {
  SLACK_SIGNING_SECRET: "copy it from your app's Basic Information → App Credentials → Signing Secret",
  SLACK_BOT_TOKEN:
    'install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
  SLACK_APP_TOKEN:
    'create an app-level token with connections:write (Basic Information → App-Level Tokens, xapp-…)',
  SLACK_CLIENT_ID: "copy it from your app's Basic Information → App Credentials",
  SLACK_CLIENT_SECRET: "copy it from your app's Basic Information → App Credentials",
  SLACK_API_URL: 'a URL such as https://slack.com/api/',
  DATABASE_URL:
    'postgres://… or postgresql://… for PostgreSQL, memory:// for a throwaway database, or unset for the embedded one in .data/pglite',
  TOKEN_ENCRYPTION_KEY: 'generate one with: openssl rand -base64 32',
  TOKEN_ENCRYPTION_KEY_OLD: 'the previous TOKEN_ENCRYPTION_KEY, while stored tokens move to the new one',
  SLACK_REDIRECT_URI:
    "the OAuth redirect URL from your app's OAuth & Permissions, e.g. https://example.com/slack/oauth_redirect",
  SLACK_INSTALL_WITHOUT_STATE:
    'true or false (true accepts installs started from the Slack Marketplace or an admin page)',
  SLACK_STATE_SECRET:
    'at least 32 random characters (openssl rand -base64 32), or unset to derive it from SLACK_CLIENT_SECRET',
  PORT: 'a TCP port number such as 3000',
  HOST: '127.0.0.1 (this machine only) or 0.0.0.0 (every interface, e.g. in a container)',
  LOG_LEVEL: 'one of debug, info, warn, error',
  LOG_FORMAT: 'text (one readable line per message) or json (one JSON object per line, for log platforms)',
  INSPECTOR_TOKEN:
    'a random string of at least 16 characters (openssl rand -hex 24); unset, /_inspect is hidden in production (npm start) and serves only this machine in development',
  INSPECTOR_DEV:
    'true or false (true: /_inspect without a token for requests made on this machine, also from npm start; unset: true under dev:http and dev:socket, false from dist/)',
  INSPECTOR_RING: 'how many deliveries the inspector keeps in memory, such as 1000',
  INSPECTOR_PORT: 'a TCP port number for the inspector of dev:socket, such as 3001',
  DELIVERY_PAYLOADS: 'true or false (keep the redacted event of each recorded delivery, for Replay)',
  SLACK_SOCKET_MODE: 'true or false',
  RECORD_DEADLINE_MS: 'milliseconds below the 3 s ack window, such as 2000',
  DATABASE_STATEMENT_TIMEOUT_MS: 'milliseconds, such as 5000',
  DATABASE_CONNECT_TIMEOUT_MS: 'milliseconds, such as 5000',
  SLACK_DRY_RUN: 'true or false (true prints each Slack call instead of making it)',
  SLACK_RATE_LIMITS: "budgets that differ from Slack's, e.g. tier3=100/min,post=1/s:3, or off",
};

const readsAsBudgets = (value: string) => {
  try {
    parseBudgets(value);
    return true;
  } catch {
    return false;
  }
};

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every setting (.env.example lists them). Empty values count as unset. */
export const ConfigSchema = z.object({
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must start with xoxb-').optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must start with xapp-').optional(),
  SLACK_CLIENT_ID: z.string().min(1).optional(),
  SLACK_CLIENT_SECRET: z.string().min(1).optional(),
  SLACK_SOCKET_MODE: bool.default(false),
  /** Print each Web API call and response_url post instead of making it (try the app without Slack). */
  SLACK_DRY_RUN: bool.default(false),
  /** Budgets that differ from Slack's published ones (src/slack/limits.ts), or `off` to not pace calls. */
  SLACK_RATE_LIMITS: z
    .string()
    .refine((value) => value === 'off' || readsAsBudgets(value), 'not budgets like tier3=100/min,post=1/s:3')
    .optional(),
  SLACK_API_URL: z
    .url()
    .default('https://slack.com/api/')
    .transform((url) => (url.endsWith('/') ? url : `${url}/`)),
  DATABASE_URL: z.string().min(1).optional(),
  TOKEN_ENCRYPTION_KEY: z
    .string()
    .refine((key) => /^[A-Za-z0-9+/]{43}=$/.test(key), 'must be 32 bytes in base64')
    .optional(),
  TOKEN_ENCRYPTION_KEY_OLD: z
    .string()
    .refine((key) => /^[A-Za-z0-9+/]{43}=$/.test(key), 'must be 32 bytes in base64')
    .optional(),
  SLACK_REDIRECT_URI: z.url().optional(),
  SLACK_INSTALL_WITHOUT_STATE: bool.optional(),
  SLACK_STATE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.union([z.ipv4(), z.ipv6(), z.hostname()]).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  /** The delivery inspector (/_inspect): its bearer token in production, its ring size, dev:socket's port. */
  INSPECTOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * The token-less dev inspector: served to requests made on this machine (loopback HOST, not through a
   * proxy). Unset: on under tsx (dev:http, dev:socket), off in dist/ (`npm start`, production by default).
   */
  INSPECTOR_DEV: bool.optional(),
  INSPECTOR_RING: z.coerce.number().int().min(1).max(100_000).default(1000),
  INSPECTOR_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  /** Keep each recorded delivery's redacted normalized event; unset: on for PGlite, off for PostgreSQL. */
  DELIVERY_PAYLOADS: bool.optional(),
  NODE_ENV: z.string().optional(),
  /** A delivery not routed and recorded in this long is answered 503 / left unacked (Slack retries). */
  RECORD_DEADLINE_MS: z.coerce.number().int().min(100).max(2_900).default(2_000),
  /** PostgreSQL's statement_timeout for our connections, and how long to wait for a new connection. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Parses settings from `process.env` or Worker bindings, once. Throws `ConfigError` naming the first bad one. */
export function loadConfig(source: Record<string, unknown>): Config {
  const present = Object.fromEntries(
    Object.entries(source).filter(
      ([key, value]) => key in ConfigSchema.shape && value !== '' && value != null,
    ),
  );
  const parsed = ConfigSchema.safeParse(present);
  if (parsed.success && parsed.data.SLACK_CLIENT_ID && !parsed.data.TOKEN_ENCRYPTION_KEY) {
    throw new ConfigError(
      'TOKEN_ENCRYPTION_KEY',
      `TOKEN_ENCRYPTION_KEY is required when SLACK_CLIENT_ID is set (installations are stored encrypted): ${WHERE.TOKEN_ENCRYPTION_KEY}`,
    );
  }
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const variable = String(issue?.path[0] ?? 'configuration');
  throw new ConfigError(
    variable,
    `${variable} is invalid (${issue?.message}): ${WHERE[variable] ?? ''}`.trim(),
  );
}

/** Narrows `config` to one where `keys` are set, or throws the one-line error for the first missing one. */
export function requireKeys<K extends keyof Config>(
  config: Config,
  keys: readonly K[],
): Config & { [P in K]-?: NonNullable<Config[P]> } {
  for (const key of keys) {
    if (config[key] === undefined) throw new ConfigError(key, `${key} is required: ${WHERE[key]}`);
  }
  return config as Config & { [P in K]-?: NonNullable<Config[P]> };
}

/**
 * Whether start-up must find a bot token (SLACK_BOT_TOKEN unset: a stored installation, or refuse).
 * False in dry run (`SLACK_DRY_RUN=true`), where no call reaches Slack, and when SLACK_BOT_TOKEN is set.
 */
export function needsBotToken(config: Pick<Config, 'SLACK_DRY_RUN' | 'SLACK_BOT_TOKEN'>): boolean {
  return !config.SLACK_DRY_RUN && !config.SLACK_BOT_TOKEN;
}
