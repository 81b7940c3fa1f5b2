import { index, integer, pgTable, primaryKey, serial, text, timestamp } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();

/** The product's organizations that channels link to. */
export const organizations = pgTable('organizations', {
  id: serial().primaryKey(),
  slug: text().notNull().unique(),
  name: text().notNull(),
  createdAt: createdAt(),
});

/** A Slack channel linked to an organization. */
export const channelLinks = pgTable(
  'channel_links',
  {
    teamId: text().notNull(),
    channelId: text().notNull(),
    organizationId: integer()
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    linkedBy: text().notNull(),
    linkedAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.channelId] }),
    index('channel_links_organization').on(t.organizationId),
  ],
);
