import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();

/** One row per workspace (team) or per Enterprise Grid org that installed the app. Tokens are encrypted. */
export const installations = pgTable(
  'installations',
  {
    id: serial().primaryKey(),
    teamId: text(),
    enterpriseId: text(),
    isEnterpriseInstall: boolean().notNull().default(false),
    appId: text(),
    botUserId: text(),
    botId: text(),
    botToken: text().notNull(),
    botScopes: text().array().notNull().default(sql`'{}'::text[]`),
    botRefreshToken: text(),
    botTokenExpiresAt: timestamp({ withTimezone: true }),
    teamName: text(),
    enterpriseName: text(),
    installerUserId: text(),
    installedAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [
    // An org-wide install is keyed by its enterprise; a workspace install by enterprise + team.
    uniqueIndex('installations_owner_key').using(
      'btree',
      sql`coalesce(${t.enterpriseId}, '')`,
      sql`(case when ${t.isEnterpriseInstall} then '' else coalesce(${t.teamId}, '') end)`,
    ),
  ],
);

/** OAuth `state` ids already used: a second use of one is refused, across processes. */
export const oauthStates = pgTable(
  'oauth_states',
  {
    id: text().primaryKey(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: createdAt(),
  },
  (t) => [index('oauth_states_expires_at').on(t.expiresAt)],
);

/** Every delivery that caused effects, by its dedup key: a redelivery of a known key is a duplicate. */
export const deliveries = pgTable(
  'deliveries',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    dedupKey: text().notNull().unique(),
    kind: text().notNull(),
    teamId: text(),
    receivedAt: createdAt(),
    // What the inspector shows: filled after the ack (DELIVERY_PAYLOADS), never on the ack path.
    name: text(),
    source: text(),
    channelId: text(),
    userId: text(),
    handler: text(),
    ackMs: real(),
    /** The normalized event, redacted; null unless DELIVERY_PAYLOADS is on. */
    event: jsonb(),
  },
  (t) => [index('deliveries_received_at').on(t.receivedAt)],
);

export const EFFECT_STATUSES = ['pending', 'running', 'done', 'failed'] as const;

/** Effects recorded with their delivery before the ack and run after it. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    deliveryId: bigint({ mode: 'number' })
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    action: jsonb().notNull(),
    teamId: text(),
    enterpriseId: text(),
    status: text({ enum: EFFECT_STATUSES }).notNull().default('pending'),
    attempts: integer().notNull().default(0),
    lastError: text(),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp({ withTimezone: true }),
    /** The process holding the lease (its owner id); a live process holds an advisory lock on it. */
    lockedBy: text(),
    /** Times a person sent it back to pending (inspector Retry). */
    manualRetries: integer().notNull().default(0),
    /** What the effect answered (a Web API reply, a task's output), kept when a step is fed from it. */
    result: jsonb(),
    updatedAt: createdAt(),
  },
  (t) => [
    index('outbox_runnable').on(t.status, t.nextAttemptAt),
    index('outbox_delivery').on(t.deliveryId, t.position),
  ],
);

export type Installation = typeof installations.$inferSelect;

/**
 * Socket Mode's connection slots (Slack allows an app 10 connections): a slot is leased to the
 * process whose connection uses it, and the lease ends with its owner (the owner's advisory lock).
 */
export const socketSlots = pgTable('socket_slots', {
  slot: integer().primaryKey(),
  /** The owner id of the process holding it; null when free. */
  owner: text(),
  /** Who that is, for people: `<host> pid <pid>`. */
  holder: text(),
  /** When it was last taken: claims across processes are spaced from this (staggered starts). */
  takenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/** The Socket Mode processes sharing the slots, so each knows its fair share; gone with their owner. */
export const socketMembers = pgTable('socket_members', {
  owner: text().primaryKey(),
  holder: text().notNull(),
  joinedAt: createdAt(),
});

/**
 * A streamed answer's progress, one row per stream effect: the messages it was written into, its
 * Slack calls, and a stop the user asked for (src/db/streams.ts).
 */
export const streams = pgTable(
  'streams',
  {
    outboxId: bigint({ mode: 'number' })
      .primaryKey()
      .references(() => outbox.id, { onDelete: 'cascade' }),
    channel: text().notNull(),
    threadTs: text().notNull(),
    status: text({ enum: ['streaming', 'complete', 'stopped', 'time_limit', 'failed'] })
      .notNull()
      .default('streaming'),
    messages: jsonb().notNull().default([]),
    calls: jsonb().notNull().default([]),
    stopRequestedAt: timestamp({ withTimezone: true }),
    updatedAt: createdAt(),
  },
  (t) => [index('streams_thread').on(t.channel, t.threadTs)],
);

/**
 * Slack's rate limits as lanes (src/slack/limits.ts): each lane's schedule, as the time its next call
 * is due (epoch ms, GCRA), shared by every process on the database (src/db/lanes.ts).
 */
export const lanes = pgTable('lanes', {
  key: text().primaryKey(),
  tat: doublePrecision().notNull(),
  /** When its next call may go (epoch ms): `tat` less the burst it allows. */
  freeAt: doublePrecision().notNull(),
  updatedAt: createdAt(),
});
