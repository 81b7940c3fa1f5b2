import { type FetchFunction, WebClient } from '@slack/web-api';
import * as z from 'zod';
import type { Config } from '../config/settings.js';
import type { Database } from '../db/database.js';
import {
  type BotToken,
  findBotToken,
  installationsDue,
  refreshBotToken,
  type Workspace,
} from '../db/installations.js';

/** Finds the bot token for a workspace; `clear()` forgets what it remembered (after an uninstall). */
export type BotTokenSource = ((workspace: Workspace) => Promise<string | null>) & {
  clear(): void;
  /** Refreshes every rotating token that expires within the window (a scheduled drain calls it); returns how many. */
  refreshDue(): Promise<number>;
};

/** How long a looked-up token is reused: one query per workspace a minute, not one per effect. */
const REMEMBER_MS = 60_000;
/** A rotating token (12 h) is refreshed once it expires within this long. */
export const REFRESH_WINDOW_MS = 2 * 60 * 60_000;

/** What refreshing a rotating token needs: the app's credentials and where Slack is. */
export interface TokenRefreshOptions {
  clientId: string;
  clientSecret: string;
  slackApiUrl: string;
  fetch?: FetchFunction;
}

const RefreshedSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

/** `oauth.v2.access` with `grant_type=refresh_token`: a new token and refresh token. */
async function exchangeRefreshToken(options: TokenRefreshOptions, refreshToken: string, now: number) {
  const client = new WebClient(undefined, {
    slackApiUrl: options.slackApiUrl,
    fetch: options.fetch,
    retryConfig: { retries: 2, minTimeout: 200, maxTimeout: 1_000 },
  });
  const reply = RefreshedSchema.parse(
    await client.oauth.v2.access({
      client_id: options.clientId,
      client_secret: options.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    }),
  );
  return {
    token: reply.access_token,
    refreshToken: reply.refresh_token,
    expiresAt: new Date(now + reply.expires_in * 1000),
  };
}

/**
 * The installation's token when the workspace installed the app through OAuth (a workspace
 * install, or its enterprise's org-wide install), else `SLACK_BOT_TOKEN`. A rotating token that
 * expires within 2 hours is refreshed first: once per installation across processes (a row lock
 * in the database), once per process (concurrent callers share one look-up).
 */
export function botTokens(options: {
  db: Database;
  encryptionKey?: string;
  /** `TOKEN_ENCRYPTION_KEY_OLD`: still opens rows written before a key rotation. */
  encryptionKeyOld?: string;
  fallback?: string;
  /** Without it, rotating tokens are used until they expire. */
  refresh?: TokenRefreshOptions;
  now?: () => number;
  /** Told of each refresh tried: done, or refused by Slack (metrics). */
  refreshed?: (ok: boolean) => void;
}): BotTokenSource {
  const now = options.now ?? Date.now;
  const remembered = new Map<string, { token: Promise<BotToken | null>; until: number }>();
  const due = (expiresAt: Date | null) =>
    expiresAt !== null && expiresAt.getTime() - now() < REFRESH_WINDOW_MS;

  const keys = options.encryptionKey
    ? { current: options.encryptionKey, old: options.encryptionKeyOld }
    : null;

  async function refreshed(found: BotToken): Promise<BotToken | null> {
    const { refresh } = options;
    if (!refresh || !keys || !found.rotates || !due(found.expiresAt)) return found;
    try {
      const token = await refreshBotToken(options.db, keys, found.installationId, {
        due,
        refresh: (refreshToken) => exchangeRefreshToken(refresh, refreshToken, now()),
      });
      options.refreshed?.(true);
      return token;
    } catch (error) {
      options.refreshed?.(false);
      // Slack did not refresh it (down, or the refresh token was revoked): the old token still works for now.
      if (found.expiresAt && found.expiresAt.getTime() - now() > 60_000) return found;
      throw error;
    }
  }

  async function lookUp(workspace: Workspace): Promise<BotToken | null> {
    const found = await findBotToken(options.db, keys, workspace);
    return found && refreshed(found);
  }

  function remember(key: string, token: Promise<BotToken | null>) {
    const entry = { token, until: now() + REMEMBER_MS };
    remembered.set(key, entry);
    token.catch(() => remembered.get(key) === entry && remembered.delete(key)); // failures are not remembered
    return entry;
  }

  // A remembered token is at most a minute old: one that was not due then has nearly 2 hours left.
  const botToken = async (workspace: Workspace) => {
    const key = `${workspace.enterpriseId ?? ''}:${workspace.teamId ?? ''}`;
    let entry = remembered.get(key);
    if (!entry || entry.until <= now()) entry = remember(key, lookUp(workspace));
    return (await entry.token)?.token ?? options.fallback ?? null;
  };

  async function refreshDue(): Promise<number> {
    if (!options.refresh) return 0;
    const owners = await installationsDue(options.db, new Date(now() + REFRESH_WINDOW_MS));
    remembered.clear();
    let refreshed = 0;
    for (const owner of owners) {
      // One installation Slack refuses does not stop the others; its effects will report it.
      if (
        await botToken(owner).then(
          () => true,
          () => false,
        )
      )
        refreshed++;
    }
    return refreshed;
  }

  return Object.assign(botToken, { clear: () => remembered.clear(), refreshDue });
}

/** Refresh options from the configuration: the app's credentials, when OAuth is configured. */
export function tokenRefresh(
  config: Pick<Config, 'SLACK_CLIENT_ID' | 'SLACK_CLIENT_SECRET' | 'SLACK_API_URL'>,
  fetch?: FetchFunction,
): TokenRefreshOptions | undefined {
  if (!config.SLACK_CLIENT_ID || !config.SLACK_CLIENT_SECRET) return undefined;
  return {
    clientId: config.SLACK_CLIENT_ID,
    clientSecret: config.SLACK_CLIENT_SECRET,
    slackApiUrl: config.SLACK_API_URL,
    fetch,
  };
}

/**
 * For a scheduled drain (Workers, Lambda): refreshes every rotating token that expires within the
 * window, so a workspace that was quiet for 12 hours does not come back to a dead token.
 */
export function refreshDueTokens(db: Database, config: Config, fetch?: FetchFunction): Promise<number> {
  return botTokens({
    db,
    encryptionKey: config.TOKEN_ENCRYPTION_KEY,
    encryptionKeyOld: config.TOKEN_ENCRYPTION_KEY_OLD,
    refresh: tokenRefresh(config, fetch),
  }).refreshDue();
}
