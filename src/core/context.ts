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

/** Read-only look-ups a handler may make. The database implements it; tests fake it. */
export interface Lookups {
  organizationBySlug(slug: string): Promise<Organization | null>;
  organizationForChannel(teamId: string, channelId: string): Promise<Organization | null>;
  linkedChannels(teamId: string): Promise<ChannelLink[]>;
  searchOrganizations(query: string, limit: number): Promise<Organization[]>;
}

/** Settings handlers read. */
export interface HandlerConfig {
  /** The product whose links are unfurled, e.g. https://app.example.com */
  appUrl: URL;
}

/** Everything a handler gets besides the event. Nothing in it writes or calls Slack. */
export interface HandlerContext {
  lookups: Lookups;
  config: HandlerConfig;
  now: () => Date;
}

/** Where the framework writes its lines; `console` fits. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
