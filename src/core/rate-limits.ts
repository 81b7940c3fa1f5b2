import type { ApiMethod } from './action.js';

// Slack's published rate limits as lanes: every Web API call belongs to one (its workspace × its
// method's tier, or its workspace × channel for posting a message), and each lane has a budget.
// The executor runs a call when its lane allows (src/db/lanes.ts keeps the lanes' schedules, shared
// by every process on one database), so a burst is paced instead of answered with 429s.
// https://docs.slack.dev/apis/web-api/rate-limits

/** Slack's tiers, and the special limit of posting messages (per channel). */
export type Tier = 1 | 2 | 3 | 4 | 'post';

/** A lane's budget: `perMinute` on average, with up to `burst` at once. */
export interface Budget {
  perMinute: number;
  burst: number;
}

/**
 * The published budgets: Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min (per
 * method, workspace and app), and a message posted about once a second per channel with short
 * bursts. Bursts are ours: a tenth of a minute's budget, at least one.
 */
export const TIER_BUDGETS: Record<Tier, Budget> = {
  1: { perMinute: 1, burst: 1 },
  2: { perMinute: 20, burst: 2 },
  3: { perMinute: 50, burst: 5 },
  4: { perMinute: 100, burst: 10 },
  post: { perMinute: 60, burst: 3 },
};

/**
 * The tier of each method an app is likely to call, from each method's page on docs.slack.dev.
 * Methods not listed are taken as Tier 3 (say so in `SLACK_RATE_LIMITS` if yours differs).
 */
export const METHOD_TIERS: Partial<Record<ApiMethod, Tier>> = {
  'chat.postMessage': 'post',
  'chat.meMessage': 'post',
  // Starting a stream posts a message; what follows is Tier 4 (STACK.md).
  'chat.startStream': 'post',
  'chat.appendStream': 4,
  'chat.stopStream': 4,
  'chat.postEphemeral': 4,
  'chat.update': 3,
  'chat.delete': 3,
  'chat.unfurl': 3,
  'chat.scheduleMessage': 3,
  'chat.getPermalink': 4,
  'views.open': 4,
  'views.push': 4,
  'views.update': 4,
  'views.publish': 4,
  'reactions.add': 3,
  'reactions.remove': 2,
  'reactions.get': 3,
  'pins.add': 2,
  'pins.remove': 2,
  'bookmarks.add': 2,
  'conversations.info': 3,
  'conversations.history': 3,
  'conversations.replies': 3,
  'conversations.members': 4,
  'conversations.list': 2,
  'conversations.open': 3,
  'conversations.join': 3,
  'users.info': 4,
  'users.list': 2,
  'users.lookupByEmail': 3,
  'team.info': 3,
  'auth.test': 4,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
  'assistant.threads.setStatus': 4,
  'assistant.threads.setSuggestedPrompts': 4,
  'assistant.threads.setTitle': 4,
  'apps.connections.open': 1,
  'oauth.v2.access': 4,
  'oauth.v2.exchange': 4,
};

/** The tier a method is paced by. */
export function tierOf(method: string): Tier {
  return (METHOD_TIERS as Record<string, Tier | undefined>)[method] ?? 3;
}

/** A call's lane: its key (shared by every process), its budget, and whether its calls keep their order. */
export interface Lane {
  key: string;
  budget: Budget;
  /** A channel's messages reach Slack in the order they were recorded (src/db/lane-order.ts). */
  ordered: boolean;
}

/** The methods that post in a channel, paced (and kept in order) per workspace × channel. */
export const POST_METHODS: readonly string[] = Object.entries(METHOD_TIERS)
  .filter(([, tier]) => tier === 'post')
  .map(([method]) => method);

/** Budgets that differ from the published ones: by tier (`tier3`, `post`) or by method. */
export type BudgetOverrides = Partial<Record<`tier${1 | 2 | 3 | 4}` | 'post' | string, Budget>>;

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * The lane of a Web API call made for `workspace`: `<team>:post:<channel>` for a message posted,
 * else `<team>:tier<n>:<method>` (Slack counts each method on its own).
 */
export function laneOf(
  method: string,
  args: object,
  workspace: { teamId: string | null; enterpriseId: string | null },
  overrides: BudgetOverrides = {},
): Lane {
  const team = workspace.teamId ?? workspace.enterpriseId ?? '-';
  const tier = tierOf(method);
  const budget =
    overrides[method] ?? overrides[tier === 'post' ? 'post' : `tier${tier}`] ?? TIER_BUDGETS[tier];
  if (tier === 'post') {
    const channel = str('channel' in args ? args.channel : null) ?? '-';
    return { key: `${team}:post:${channel}`, budget, ordered: true };
  }
  return { key: `${team}:tier${tier}:${method}`, budget, ordered: false };
}

/**
 * Parses `SLACK_RATE_LIMITS`: `tier3=100/min,post=2/s,chat.update=20/min` (a burst after `:`,
 * e.g. `post=1/s:5`). Throws a one-line error naming the bad entry.
 */
export function parseBudgets(text: string | undefined): BudgetOverrides {
  const overrides: BudgetOverrides = {};
  if (!text) return overrides;
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const match = /^([\w.]+)=(\d+(?:\.\d+)?)\/(s|min)(?::(\d+))?$/.exec(entry);
    if (!match?.[1] || !match[2] || !match[3])
      throw new Error(`SLACK_RATE_LIMITS: cannot read "${entry}" (e.g. tier3=100/min,post=1/s:3)`);
    const perMinute = Number(match[2]) * (match[3] === 's' ? 60 : 1);
    const burst = match[4] ? Number(match[4]) : Math.max(1, Math.round(perMinute / 10));
    overrides[match[1]] = { perMinute, burst };
  }
  return overrides;
}
