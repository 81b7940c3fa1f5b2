import { type BudgetOverrides, laneOf } from '../core/rate-limits.js';

/**
 * The fake Slack's rate limits, as Slack publishes them: a bucket per workspace (its token) and
 * method tier, and per workspace and channel for posting a message, each with its burst; past it a
 * call is answered 429 with `Retry-After` in whole seconds, as Slack does.
 */
export class FakeLimits {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Calls answered 429, by lane. */
  readonly limited = new Map<string, number>();

  constructor(private readonly budgets: BudgetOverrides = {}) {}

  /** Takes one call from its lane: null when allowed, else the seconds to wait. */
  take(method: string, token: string | null, args: Record<string, unknown>, now: number): number | null {
    if (method.startsWith('respond:') || method === 'apps.connections.open' || method === '_calls')
      return null;
    const lane = laneOf(method, args, { teamId: token ?? 'anonymous', enterpriseId: null }, this.budgets);
    const rate = lane.budget.perMinute / 60_000; // per ms
    const bucket = this.#buckets.get(lane.key) ?? { tokens: lane.budget.burst, at: now };
    bucket.tokens = Math.min(lane.budget.burst, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.#buckets.set(lane.key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    this.limited.set(lane.key, (this.limited.get(lane.key) ?? 0) + 1);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }

  /** How many calls were answered 429. */
  get count(): number {
    let n = 0;
    for (const value of this.limited.values()) n += value;
    return n;
  }

  reset(): void {
    this.#buckets.clear();
    this.limited.clear();
  }
}
