/** An organization of the product that Slack channels are linked to. */
export interface Organization {
  slug: string;
  name: string;
}

/** A channel linked to an organization. */
export interface ChannelLink {
  channelId: string;
  organization: Organization;
}

/** The read-only look-ups the reference app's handlers make. The store implements them; tests fake them. */
export interface Lookups {
  organizationBySlug(slug: string): Promise<Organization | null>;
  organizationForChannel(teamId: string, channelId: string): Promise<Organization | null>;
  linkedChannels(teamId: string): Promise<ChannelLink[]>;
  searchOrganizations(query: string, limit: number): Promise<Organization[]>;
}
