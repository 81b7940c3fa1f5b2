/** Slack tokens anywhere in a string: bot/user/app tokens (`xox?-`), app-level (`xapp-`), config (`xoxe`). */
const TOKEN = /\b(xox[a-z]-|xoxe\.|xapp-)[A-Za-z0-9.-]+/g;

/** Fields whose values are credentials whatever they look like. */
const SECRET_FIELD = /^(.*token|response_?urls?|.*secret|password|authorization)$/i;

/** What a removed value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * The one redaction for anything kept or shown (the inspector's ring, stored events, pages, fixtures):
 * Slack tokens inside any string become their prefix and `…`; `token` fields (Slack's verification
 * token, `*_token`), `response_url` / `response_urls` (they are credentials: anyone holding one can
 * post), secrets and passwords become `[redacted]`. Returns a copy; the input is untouched.
 *
 * @example redactValue({ token: 'abc', text: 'xoxb-1-2' }) // { token: '[redacted]', text: 'xoxb-…' }
 */
export function redactValue(value: unknown, key = '', depth = 0): unknown {
  if (key !== '' && SECRET_FIELD.test(key) && value !== null && value !== undefined) return REDACTED;
  if (typeof value === 'string') return value.replace(TOKEN, '$1…');
  if (typeof value !== 'object' || value === null) return value;
  // A signed but hostile payload may nest thousands deep: what lies below is dropped, not recursed into.
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, '', depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k, depth + 1)]));
}

/** How deep `redactValue` goes; Slack's own payloads nest a few levels (blocks in views: about 10). */
const MAX_DEPTH = 64;
/** What stands for a value nested deeper than `MAX_DEPTH`. */
export const TOO_DEEP = '[nested too deep]';
