import { and, count, eq, isNull, or } from 'drizzle-orm';
import type { Database } from './database.js';
import { installations } from './schema.js';

/** Who an effect or a token acts for. */
export interface Workspace {
  teamId: string | null;
  enterpriseId: string | null;
}

const enterpriseOf = (enterpriseId: string | null) =>
  enterpriseId ? eq(installations.enterpriseId, enterpriseId) : isNull(installations.enterpriseId);

/**
 * The stored (encrypted) bot token serving a workspace: its own install, else its enterprise's
 * org-wide install. Null when the app was not installed there through OAuth.
 */
export async function findBotToken(
  db: Database,
  { teamId, enterpriseId }: Workspace,
): Promise<string | null> {
  const enterprise = enterpriseOf(enterpriseId);
  const owner = teamId
    ? or(
        and(enterprise, eq(installations.teamId, teamId)),
        and(enterprise, eq(installations.isEnterpriseInstall, true)),
      )
    : and(enterprise, eq(installations.isEnterpriseInstall, true));
  const [found] = await db
    .select({ token: installations.botToken })
    .from(installations)
    .where(owner)
    .orderBy(installations.isEnterpriseInstall)
    .limit(1);
  return found?.token ?? null;
}

/** Deletes a workspace's own install, or an org-wide install when a whole enterprise uninstalled. */
export async function deleteInstallation(db: Database, { teamId, enterpriseId }: Workspace): Promise<void> {
  const enterprise = enterpriseOf(enterpriseId);
  const owner = teamId
    ? and(enterprise, eq(installations.teamId, teamId))
    : and(enterprise, eq(installations.isEnterpriseInstall, true));
  await db.delete(installations).where(owner);
}

/** Whether any workspace has installed the app through OAuth. */
export async function hasInstallations(db: Database): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(installations);
  return (row?.n ?? 0) > 0;
}
