import type { Lease } from '../../db/outbox.js';
import { LEASE_MS } from '../../db/outbox.js';

// The bound on one effect, from the Slack client's own limits (src/slack/client.ts, execute.ts).
/** The Slack client's timeout per HTTP request (keepAliveFetch ends it by 10.2 s). */
const REQUEST_TIMEOUT_MS = 10_000;
/** The Slack client's tries per call (the first and 2 retries of a 5xx or network error), ≤ 1 s apart. */
const REQUEST_TRIES = 3;
const REQUEST_RETRY_WAIT_MS = 1_000;
/** One Web API call at worst: 3 × 10 s + 2 × 1 s = 32 s. */
export const API_CALL_MAX_MS =
  REQUEST_TRIES * REQUEST_TIMEOUT_MS + (REQUEST_TRIES - 1) * REQUEST_RETRY_WAIT_MS;
/** Rate limits waited out in place: up to 3 calls, ≤ 3 s apart (longer ones go back to the outbox). */
const INLINE_TRIES = 3;
const INLINE_WAIT_MS = 3_000;
/**
 * One effect at worst: 3 × 32 s + 2 × 3 s = 102 s. The executor stops waiting for an effect after
 * this (a response_url post has no timeout of its own) and counts it as a failed, retryable try.
 */
export const EFFECT_MAX_MS = INLINE_TRIES * API_CALL_MAX_MS + (INLINE_TRIES - 1) * INLINE_WAIT_MS;
/** How long after its lease began an effect may still start: it must finish before the lease ends. */
export const START_WINDOW_MS = 5_000;
/**
 * The lease of a process with no owner lock (Workers, Lambda): 102 s + 5 s = 107 s. It ends by
 * expiry only, so it must outlast the longest effect that may start under it; shorter, a drain could
 * run an effect again while the first run is still under way.
 */
export const EXPIRY_LEASE_MS = EFFECT_MAX_MS + START_WINDOW_MS;

/** Leases ended by expiry only (Workers, Lambda). */
export const expiryLease: Lease = { owner: null, ms: EXPIRY_LEASE_MS };

/**
 * Leases held by a live owner (Node): they end when the owner dies. Their expiry only lets the owner
 * itself take back a lease it lost track of (a mark it could not write); 60 s.
 */
export const ownedLease = (owner: string): Lease => ({ owner, ms: LEASE_MS });
