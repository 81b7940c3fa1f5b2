import type { Manifest } from '../manifest/check.js';

/**
 * The bot scopes the install asks for. A constant, not manifest.yaml read at run time: Workers have
 * no filesystem and the Worker bundle carries no YAML parser. `npm run manifest:check` (and its test)
 * fail when manifest.yaml's `oauth_config.scopes.bot` differs, so the two cannot drift.
 */
export const BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'chat:write',
  'commands',
  'im:history',
  'links:read',
  'links:write',
] as const;

/** User scopes asked for at install (`user_scope`); none today, kept in step with the manifest the same way. */
export const USER_SCOPES: readonly string[] = [];

/** Where manifest.yaml's scopes differ from what the install asks for. */
export function checkInstallScopes(manifest: Manifest): string[] {
  const problems: string[] = [];
  const compare = (where: string, declared: readonly string[], asked: readonly string[]) => {
    const missing = asked.filter((scope) => !declared.includes(scope));
    const extra = declared.filter((scope) => !asked.includes(scope));
    if (missing.length > 0)
      problems.push(`${where} lacks ${missing.join(', ')} (asked for at install: src/oauth/scopes.ts)`);
    if (extra.length > 0)
      problems.push(
        `${where} has ${extra.join(', ')}, which src/oauth/scopes.ts does not ask for at install`,
      );
  };
  compare('oauth_config.scopes.bot', manifest.oauth_config.scopes.bot, BOT_SCOPES);
  const user = manifest.oauth_config.scopes.user;
  compare('oauth_config.scopes.user', Array.isArray(user) ? user.map(String) : [], USER_SCOPES);
  return problems;
}
