import type { Database } from '../db/database.js';
import { findBotToken, type Workspace } from '../db/installations.js';
import { decryptToken } from '../db/token-crypto.js';

/** Finds the bot token for a workspace; `clear()` forgets what it remembered (after an uninstall). */
export type BotTokenSource = ((workspace: Workspace) => Promise<string | null>) & { clear(): void };

/** How long a looked-up token is reused: one query per workspace a minute, not one per effect. */
const REMEMBER_MS = 60_000;

/**
 * The installation's token when the workspace installed the app through OAuth (a workspace
 * install, or its enterprise's org-wide install), else `SLACK_BOT_TOKEN`.
 */
export function botTokens(options: {
  db: Database;
  encryptionKey?: string;
  fallback?: string;
}): BotTokenSource {
  const remembered = new Map<string, { token: Promise<string | null>; until: number }>();

  async function lookUp(workspace: Workspace): Promise<string | null> {
    const stored = await findBotToken(options.db, workspace);
    if (!stored) return options.fallback ?? null;
    if (!options.encryptionKey)
      throw new Error('an installation is stored but TOKEN_ENCRYPTION_KEY is not set');
    return decryptToken(options.encryptionKey, stored);
  }

  const botToken = (workspace: Workspace) => {
    const key = `${workspace.enterpriseId ?? ''}:${workspace.teamId ?? ''}`;
    const hit = remembered.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    const token = lookUp(workspace);
    remembered.set(key, { token, until: Date.now() + REMEMBER_MS });
    token.catch(() => remembered.delete(key)); // a failed look-up is not remembered
    return token;
  };
  return Object.assign(botToken, { clear: () => remembered.clear() });
}
