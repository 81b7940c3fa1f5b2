/**
 * The seed of an owner's advisory lock key, `hashtextextended(owner, seed)`: the owner's own lock
 * (locks.ts) and the claim's test of it (outbox.ts) must use the same one.
 */
export const OWNER_LOCK_SEED = 7_270_219_301;
