import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import * as z from 'zod';
import type { Database } from './database.js';
import { rows } from './rows.js';
import { installations, oauthStates } from './schema.js';
import { encryptToken, openToken, type TokenKeys } from './token-crypto.js';

/** Who an installation serves: a workspace (team), or a whole Enterprise Grid org (`teamId` null). */
export interface Owner {
  teamId: string | null;
  enterpriseId: string | null;
}

/** Who an effect or a token acts for. */
export type Workspace = Owner;

/** A bot token ready to use, and when it expires (null: it does not rotate). */
export interface BotToken {
  installationId: number;
  token: string;
  expiresAt: Date | null;
  /** A refresh token is stored: the token can be refreshed. */
  rotates: boolean;
}

/** What `oauth.v2.access` gave for an install, tokens in the clear (they are encrypted here). */
export interface NewInstallation extends Owner {
  isEnterpriseInstall: boolean;
  teamName: string | null;
  enterpriseName: string | null;
  appId: string | null;
  botUserId: string | null;
  botId: string | null;
  botScopes: string[];
  botToken: string;
  botRefreshToken: string | null;
  botTokenExpiresAt: Date | null;
  installerUserId: string | null;
}

/** A stored row that neither `TOKEN_ENCRYPTION_KEY` nor `TOKEN_ENCRYPTION_KEY_OLD` opens. */
export class InstallationDecryptError extends Error {
  override readonly name = 'InstallationDecryptError';
  constructor(
    row: { id: number; teamId: string | null; enterpriseId: string | null },
    problem = 'does not decrypt with TOKEN_ENCRYPTION_KEY or TOKEN_ENCRYPTION_KEY_OLD: set the key it was stored with, or reinstall the app there',
  ) {
    const owner = [row.enterpriseId && `enterprise ${row.enterpriseId}`, row.teamId && `team ${row.teamId}`]
      .filter(Boolean)
      .join(', ');
    super(`installation ${row.id} (${owner}) ${problem}`);
  }
}

type Row = typeof installations.$inferSelect;

async function open(keys: TokenKeys | null, row: Row, stored: string) {
  if (!keys) throw new InstallationDecryptError(row, 'is stored but TOKEN_ENCRYPTION_KEY is not set');
  try {
    return await openToken(keys, stored);
  } catch {
    throw new InstallationDecryptError(row);
  }
}

/** A workspace's own install, else its enterprise's org-wide install: the workspace's wins. `keys` null: none configured. */
export async function findBotToken(
  db: Database,
  keys: TokenKeys | null,
  owner: Owner,
): Promise<BotToken | null> {
  const enterprise = owner.enterpriseId
    ? eq(installations.enterpriseId, owner.enterpriseId)
    : isNull(installations.enterpriseId);
  const orgWide = and(enterprise, eq(installations.isEnterpriseInstall, true));
  const where = owner.teamId ? or(and(enterprise, eq(installations.teamId, owner.teamId)), orgWide) : orgWide;
  const [row] = await db
    .select()
    .from(installations)
    .where(where)
    .orderBy(installations.isEnterpriseInstall)
    .limit(1);
  if (!row) return null;
  const { token, stale } = await open(keys, row, row.botToken);
  if (stale && keys) await reseal(db, keys, row);
  return tokenOf(row, token);
}

const tokenOf = (row: Row, token: string): BotToken => ({
  installationId: row.id,
  token,
  expiresAt: row.botTokenExpiresAt,
  rotates: row.botRefreshToken !== null,
});

/** Key rotation: writes a row read with the old key again under the current one (unless it changed meanwhile). */
async function reseal(db: Database, keys: TokenKeys, row: Row): Promise<void> {
  const refresh = row.botRefreshToken && (await open(keys, row, row.botRefreshToken)).token;
  await db
    .update(installations)
    .set({
      botToken: await encryptToken(keys.current, (await open(keys, row, row.botToken)).token),
      botRefreshToken: refresh ? await encryptToken(keys.current, refresh) : null,
    })
    .where(and(eq(installations.id, row.id), eq(installations.botToken, row.botToken)));
}

const SavedRow = z.object({ id: z.number(), created: z.boolean() });

/** Stores an install; installing again (same team, or same enterprise for org-wide) updates the same row. */
export async function saveInstallation(
  db: Database,
  keys: TokenKeys,
  install: NewInstallation,
): Promise<{ id: number; created: boolean }> {
  const seal = (token: string | null) => (token === null ? null : encryptToken(keys.current, token));
  const teamId = install.isEnterpriseInstall ? null : install.teamId;
  const result = await db.execute(sql`
    insert into installations (team_id, enterprise_id, is_enterprise_install, team_name, enterprise_name,
      app_id, bot_user_id, bot_id, bot_scopes, bot_token, bot_refresh_token, bot_token_expires_at, installer_user_id)
    values (${teamId}, ${install.enterpriseId}, ${install.isEnterpriseInstall}, ${install.teamName},
      ${install.enterpriseName}, ${install.appId}, ${install.botUserId}, ${install.botId},
      string_to_array(${install.botScopes.join(',')}, ','), ${await seal(install.botToken)},
      ${await seal(install.botRefreshToken)}, ${install.botTokenExpiresAt?.toISOString() ?? null}::timestamptz,
      ${install.installerUserId})
    on conflict (coalesce(enterprise_id, ''), (case when is_enterprise_install then '' else coalesce(team_id, '') end))
    do update set team_name = excluded.team_name, enterprise_name = excluded.enterprise_name,
      app_id = excluded.app_id, bot_user_id = excluded.bot_user_id, bot_id = excluded.bot_id,
      bot_scopes = excluded.bot_scopes, bot_token = excluded.bot_token,
      bot_refresh_token = excluded.bot_refresh_token, bot_token_expires_at = excluded.bot_token_expires_at,
      installer_user_id = excluded.installer_user_id, updated_at = now()
    returning id, (xmax = 0) as created`);
  const [saved] = rows(result, SavedRow);
  if (!saved) throw new Error('the installation was not stored');
  return saved;
}

/**
 * Refreshes a rotating token under a row lock, so one process at a time spends the refresh token
 * (Slack invalidates it). A process that waited finds the token no longer `due` and returns the
 * winner's. Null when the installation is gone.
 */
export async function refreshBotToken(
  db: Database,
  keys: TokenKeys,
  installationId: number,
  options: {
    due: (expiresAt: Date | null) => boolean;
    refresh: (refreshToken: string) => Promise<{ token: string; refreshToken: string; expiresAt: Date }>;
  },
): Promise<BotToken | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(installations)
      .where(eq(installations.id, installationId))
      .for('update');
    if (!row) return null;
    if (!row.botRefreshToken || !options.due(row.botTokenExpiresAt)) {
      return tokenOf(row, (await open(keys, row, row.botToken)).token);
    }
    const fresh = await options.refresh((await open(keys, row, row.botRefreshToken)).token);
    const [saved] = await tx
      .update(installations)
      .set({
        botToken: await encryptToken(keys.current, fresh.token),
        botRefreshToken: await encryptToken(keys.current, fresh.refreshToken),
        botTokenExpiresAt: fresh.expiresAt,
        updatedAt: sql`now()`,
      })
      .where(eq(installations.id, installationId))
      .returning();
    return saved ? tokenOf(saved, fresh.token) : null;
  });
}

/** Installations with a rotating token that expires before `before` (the scheduled refresh). */
export async function installationsDue(db: Database, before: Date): Promise<Owner[]> {
  return db
    .select({ teamId: installations.teamId, enterpriseId: installations.enterpriseId })
    .from(installations)
    .where(
      and(sql`${installations.botRefreshToken} is not null`, lt(installations.botTokenExpiresAt, before)),
    );
}

/** Every installation, without its tokens. */
export async function listInstallations(db: Database) {
  return db
    .select({
      id: installations.id,
      teamId: installations.teamId,
      teamName: installations.teamName,
      enterpriseId: installations.enterpriseId,
      enterpriseName: installations.enterpriseName,
      isEnterpriseInstall: installations.isEnterpriseInstall,
      botUserId: installations.botUserId,
      botScopes: installations.botScopes,
      botTokenExpiresAt: installations.botTokenExpiresAt,
      installerUserId: installations.installerUserId,
      installedAt: installations.installedAt,
      updatedAt: installations.updatedAt,
    })
    .from(installations)
    .orderBy(asc(installations.enterpriseId), asc(installations.teamId));
}

/** Removes a workspace's installations (`T…`), or an enterprise's org-wide one (`E…`); returns how many went. */
export async function removeInstallation(db: Database, id: string): Promise<number> {
  const where = id.startsWith('E')
    ? and(eq(installations.enterpriseId, id), eq(installations.isEnterpriseInstall, true))
    : eq(installations.teamId, id);
  return (await db.delete(installations).where(where).returning({ id: installations.id })).length;
}

/**
 * Records that an OAuth state id was used. True the first time; false when it was used before, by
 * this process or another (the id is the primary key). Forgets states that expired long ago.
 */
export async function useOAuthState(db: Database, id: string, expiresAt: Date): Promise<boolean> {
  await db.delete(oauthStates).where(lt(oauthStates.expiresAt, sql`now() - interval '1 day'`));
  const inserted = await db
    .insert(oauthStates)
    .values({ id, expiresAt })
    .onConflictDoNothing({ target: oauthStates.id })
    .returning({ id: oauthStates.id });
  return inserted.length === 1;
}

/** Deletes a workspace's own install, or an org-wide install when a whole enterprise uninstalled. */
export async function deleteInstallation(db: Database, { teamId, enterpriseId }: Owner): Promise<void> {
  const enterprise = enterpriseId
    ? eq(installations.enterpriseId, enterpriseId)
    : isNull(installations.enterpriseId);
  const owner = teamId
    ? and(enterprise, eq(installations.teamId, teamId))
    : and(enterprise, eq(installations.isEnterpriseInstall, true));
  await db.delete(installations).where(owner);
}

/** Whether any workspace has installed the app through OAuth. */
export async function hasInstallations(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: installations.id }).from(installations).limit(1);
  return row !== undefined;
}
