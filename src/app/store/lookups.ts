import { asc, eq, ilike, or } from 'drizzle-orm';
import * as z from 'zod';
import { StoreUnavailableError } from '../../core/errors.js';
import { Batcher } from '../../db/batch.js';
import type { Database, StoreHandle } from '../../db/database.js';
import { rows } from '../../db/rows.js';
import { classifyDatabaseError, storableJson } from '../../db/sqlstate.js';
import type { ChannelLink, Lookups, Organization } from '../lookups.js';
import { channelLinks, organizations } from './schema.js';

/**
 * Runs `query`; a failure of the database becomes `StoreUnavailableError`, so nothing is acked. One
 * the data caused is the delivery's own: thrown as it is, the handler fails and the delivery is acked.
 */
async function reach<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (cause) {
    if (classifyDatabaseError(cause) === 'data') throw cause;
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
const LinkedRow = OrganizationRow.extend({ team_id: z.string(), channel_id: z.string() });
type ChannelKey = { teamId: string; channelId: string };

/**
 * The reference app's look-ups. The two that run before most acks are raw SQL, and batched: the look-ups
 * of every delivery in flight go in one statement. The rest use drizzle.
 */
export class DbLookups implements Lookups {
  private readonly db: Database;
  readonly #bySlug: Batcher<string, Organization>;
  readonly #forChannel: Batcher<ChannelKey, Organization>;

  constructor(database: StoreHandle) {
    this.db = database.db;
    const { raw } = database;
    this.#bySlug = new Batcher(
      (slug) => slug,
      async (slugs) => {
        const found = await raw(
          'select slug, name from organizations where slug in (select jsonb_array_elements_text($1::text::jsonb))',
          // A slug typed with a NUL must not fail the look-ups batched with it: stripped, it finds nothing.
          [storableJson(slugs)],
        );
        return new Map(rows(found, OrganizationRow).map((org) => [org.slug, org]));
      },
    );
    this.#forChannel = new Batcher(
      ({ teamId, channelId }) => `${teamId}:${channelId}`,
      async (keys) => {
        const found = await raw(
          `select l.team_id, l.channel_id, o.slug, o.name
           from channel_links l join organizations o on o.id = l.organization_id
           where (l.team_id, l.channel_id) in (
             select team_id, channel_id from jsonb_to_recordset($1::text::jsonb) as k(team_id text, channel_id text))`,
          [storableJson(keys.map((k) => ({ team_id: k.teamId, channel_id: k.channelId })))],
        );
        return new Map(
          rows(found, LinkedRow).map((r) => [`${r.team_id}:${r.channel_id}`, { slug: r.slug, name: r.name }]),
        );
      },
    );
  }

  organizationBySlug(slug: string): Promise<Organization | null> {
    return reach('organizationBySlug', () => this.#bySlug.load(slug));
  }

  organizationForChannel(teamId: string, channelId: string): Promise<Organization | null> {
    return reach('organizationForChannel', () => this.#forChannel.load({ teamId, channelId }));
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
