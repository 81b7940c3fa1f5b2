import type { HandlerContext } from '../core/context.js';
import type { ChannelLink, Lookups, Organization } from './lookups.js';
import type { LinkApp } from './types.js';

/** The reference app's look-ups over plain arrays, for handler tests. */
export class MemoryLookups implements Lookups {
  constructor(
    readonly orgs: Organization[] = [],
    readonly links: { teamId: string; channelId: string; slug: string }[] = [],
  ) {}

  async organizationBySlug(slug: string) {
    return this.orgs.find((org) => org.slug === slug) ?? null;
  }
  async organizationForChannel(teamId: string, channelId: string) {
    const link = this.links.find((l) => l.teamId === teamId && l.channelId === channelId);
    return link ? this.organizationBySlug(link.slug) : null;
  }
  async linkedChannels(teamId: string): Promise<ChannelLink[]> {
    const out: ChannelLink[] = [];
    for (const link of this.links.filter((l) => l.teamId === teamId)) {
      const organization = await this.organizationBySlug(link.slug);
      if (organization) out.push({ channelId: link.channelId, organization });
    }
    return out;
  }
  async searchOrganizations(query: string, limit: number) {
    const q = query.toLowerCase();
    return this.orgs.filter((o) => o.slug.includes(q) || o.name.toLowerCase().includes(q)).slice(0, limit);
  }
}

export const ACME: Organization = { slug: 'acme', name: 'Acme Corp' };
export const GLOBEX: Organization = { slug: 'globex', name: 'Globex & Sons' };

/**
 * A handler context with the given look-ups, APP_URL https://app.example.com, a fixed clock, and
 * `productApi` when given (a mention then looks the summary up).
 */
export function testContext(
  lookups: Lookups = new MemoryLookups([ACME, GLOBEX]),
  productApi: URL | null = null,
): HandlerContext<LinkApp> {
  return {
    lookups,
    settings: { appUrl: new URL('https://app.example.com'), productApi, model: null, scriptDelayMs: 0 },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
}
