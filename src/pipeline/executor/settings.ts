import type { Logger } from '../../core/context.js';
import type { Lease } from '../../db/outbox.js';
import { EFFECT_MAX_MS, expiryLease } from './lease.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.js';
import type { ExecutorOptions } from './types.js';

const DAY_MS = 86_400_000;
/**
 * Deliveries a drain runs at once: a restart sends what a crash left (hundreds of replies at a few
 * hundred ms each) within 2 s of ready. A Node process's Slack sockets match it (node-http.ts).
 */
export const DRAIN_CONCURRENCY = 96;
/** A batch of marks the store does not take within this is kept in memory and written again (a mark may first wait for the batch before it). */
const MARK_TIMEOUT_MS = 2_000;

/** An executor's options with their defaults filled in. */
export interface ExecutorSettings {
  retry: RetryPolicy;
  concurrency: number;
  drainConcurrency: number;
  lease: Lease;
  effectTimeoutMs: number;
  streamTimeoutMs: number;
  markTimeoutMs: number;
  retentionMs: number;
  batch: number;
  now: () => Date;
  logger: Logger;
}

/** The settings `options` give, with the defaults for what they leave out. */
export function executorSettings(options: ExecutorOptions): ExecutorSettings {
  const effectTimeoutMs = options.effectTimeoutMs ?? EFFECT_MAX_MS;
  return {
    retry: {
      maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    },
    concurrency: options.concurrency ?? 32,
    drainConcurrency: options.drainConcurrency ?? DRAIN_CONCURRENCY,
    lease: options.lease ?? expiryLease,
    effectTimeoutMs,
    streamTimeoutMs: options.streamTimeoutMs ?? effectTimeoutMs,
    markTimeoutMs: options.markTimeoutMs ?? MARK_TIMEOUT_MS,
    retentionMs: options.retentionMs ?? 7 * DAY_MS,
    batch: options.batch ?? 256,
    now: options.now ?? (() => new Date()),
    logger: options.logger ?? console,
  };
}
