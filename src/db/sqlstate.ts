/**
 * Why a statement failed: `data` when PostgreSQL refused the values themselves (retrying the same
 * delivery can never succeed), `unavailable` for everything else (connection, timeout, server state).
 */
export type DatabaseFailure = 'data' | 'unavailable';

// SQLSTATE classes and codes that blame the data: https://www.postgresql.org/docs/current/errcodes-appendix.html
// 22 data exception (invalid byte sequence, value too long, bad JSON), 23 integrity constraint
// violation, 54000 program limit exceeded (an index row too large for its key).
// 42 (syntax error or access rule violation: undefined table, column) is not the delivery's fault:
// the database is not migrated, or the code is wrong. Retrying later may succeed, so it is unavailable.
const DATA_CLASSES = ['22', '23'];
const DATA_CODES = ['54000'];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** How deep to follow `cause`: drizzle wraps the driver's error once. */
const MAX_CAUSES = 4;

/**
 * The SQLSTATE of a database error from postgres.js (`PostgresError`) or PGlite, also when wrapped as
 * `cause` (drizzle's `DrizzleQueryError`, our `StoreUnavailableError`); null for a connection error.
 * @example sqlState(await db.query("select 'a\u0000'").catch((e) => e)) // '22021'
 */
export function sqlState(error: unknown): string | null {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSES && typeof current === 'object' && current !== null; depth++) {
    const code = 'code' in current ? current.code : undefined;
    // Node's and postgres.js's connection codes (ECONNREFUSED, CONNECTION_CLOSED) are not SQLSTATEs.
    if (typeof code === 'string' && SQLSTATE.test(code) && !code.startsWith('E')) return code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return null;
}

/**
 * Classifies a failed statement on either driver. Only a SQLSTATE that blames the data is `data`;
 * anything unknown is `unavailable`, so a doubt leaves the delivery unacked and Slack retries it.
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure {
  const code = sqlState(error);
  if (code === null) return 'unavailable';
  return DATA_CLASSES.includes(code.slice(0, 2)) || DATA_CODES.includes(code) ? 'data' : 'unavailable';
}

// A lone UTF-16 surrogate: JSON.stringify escapes it as \udXXX, which jsonb refuses.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` as PostgreSQL can store it: NUL removed, lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\ufffd');
}

// What JSON.stringify writes for a NUL or a lone surrogate (it escapes nothing else in that range).
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89a-f]/;

/**
 * `JSON.stringify(value)` for a parameter cast to `jsonb`, with every string (keys too) made
 * storable: jsonb refuses `\u0000` and lone surrogates, and a handler may echo such text from a
 * user. The common case (nothing to strip) costs one regular-expression test.
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!UNSTORABLE_ESCAPE.test(json)) return json;
  return JSON.stringify(storable(JSON.parse(json)));
}

function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [storableText(key), storable(v)]));
  }
  return value;
}
