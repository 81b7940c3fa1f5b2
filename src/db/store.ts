import { and, asc, eq, ilike, isNull, or, sql } from 'drizzle-orm';
import * as z from 'zod';
import type { StoreWrite } from '../core/action.js';
import type { ChannelLink, Lookups, Organization } from '../core/context.js';
import { EffectError, StoreUnavailableError } from '../core/errors.js';
import type { Database, DatabaseHandle, RawSql } from './database.js';
import { rows } from './rows.js';
import { channelLinks, installations, organizations } from './schema.js';

/** Runs `query`; any failure of the database becomes `StoreUnavailableError`, so nothing is acked. */
async function reach<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (cause) {
    throw new StoreUnavailableError(
      `${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

const orgColumns = { slug: organizations.slug, name: organizations.name };

const OrganizationRow = z.object({ slug: z.string(), name: z.string() });

/**
 * The handlers' look-ups. The two that run before most acks are raw SQL: through the ORM each
 * cost about twice as much (bench: http, socket); the rest use drizzle.
 */
export class DbLookups implements Lookups {
  private readonly db: Database;
  private readonly raw: RawSql;

  constructor(database: Pick<DatabaseHandle, 'db' | 'raw'>) {
    this.db = database.db;
    this.raw = database.raw;
  }

  organizationBySlug(slug: string): Promise<Organization | null> {
    return reach('organizationBySlug', async () => {
      const found = await this.raw('select slug, name from organizations where slug = $1 limit 1', [slug]);
      return rows(found, OrganizationRow)[0] ?? null;
    });
  }

  organizationForChannel(teamId: string, channelId: string): Promise<Organization | null> {
    return reach('organizationForChannel', async () => {
      const found = await this.raw(
        `select o.slug, o.name from channel_links l join organizations o on o.id = l.organization_id
         where l.team_id = $1 and l.channel_id = $2 limit 1`,
        [teamId, channelId],
      );
      return rows(found, OrganizationRow)[0] ?? null;
    });
  }

  linkedChannels(teamId: string): Promise<ChannelLink[]> {
    return reach('linkedChannels', async () => {
      const found = await this.db
        .select({ channelId: channelLinks.channelId, slug: organizations.slug, name: organizations.name })
        .from(channelLinks)
        .innerJoin(organizations, eq(organizations.id, channelLinks.organizationId))
        .where(eq(channelLinks.teamId, teamId))
        .orderBy(asc(channelLinks.linkedAt), asc(channelLinks.channelId));
      return found.map(({ channelId, slug, name }) => ({ channelId, organization: { slug, name } }));
    });
  }

  searchOrganizations(query: string, limit: number): Promise<Organization[]> {
    const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return reach('searchOrganizations', () =>
      this.db
        .select(orgColumns)
        .from(organizations)
        .where(or(ilike(organizations.slug, pattern), ilike(organizations.name, pattern)))
        .orderBy(asc(organizations.name))
        .limit(limit),
    );
  }
}

/** Applies one store-write effect. */
export async function applyStoreWrite(db: Database, write: StoreWrite): Promise<void> {
  switch (write.op) {
    case 'link_channel': {
      const [org] = await db
        .select({ id: organizations.id })
        .from(organizations)
        .where(eq(organizations.slug, write.organizationSlug));
      if (!org)
        throw new EffectError(`organization ${write.organizationSlug} no longer exists`, {
          retryable: false,
        });
      await db
        .insert(channelLinks)
        .values({
          teamId: write.teamId,
          channelId: write.channelId,
          organizationId: org.id,
          linkedBy: write.linkedBy,
        })
        .onConflictDoUpdate({
          target: [channelLinks.teamId, channelLinks.channelId],
          set: { organizationId: org.id, linkedBy: write.linkedBy, linkedAt: sql`now()` },
        });
      return;
    }
    case 'unlink_channel':
      await db
        .delete(channelLinks)
        .where(and(eq(channelLinks.teamId, write.teamId), eq(channelLinks.channelId, write.channelId)));
      return;
    case 'delete_installation': {
      const enterprise = write.enterpriseId
        ? eq(installations.enterpriseId, write.enterpriseId)
        : isNull(installations.enterpriseId);
      // A workspace's own install, and an org-wide install when the whole enterprise uninstalled.
      const owner = write.teamId
        ? and(enterprise, eq(installations.teamId, write.teamId))
        : and(enterprise, eq(installations.isEnterpriseInstall, true));
      await db.delete(installations).where(owner);
      return;
    }
  }
}
