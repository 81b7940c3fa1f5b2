/** Slack tokens anywhere in a string: bot/user/app tokens (`xox?-`), app-level (`xapp-`), config (`xoxe`). */
const TOKEN = /\b(xox[a-z]-|xoxe\.|xapp-)[A-Za-z0-9.-]+/g;

/** A response_url or an incoming webhook anywhere in a string: whoever holds one can post. */
const HOOK_URL = /https:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"'<>|]*/g;

/** Fields whose values are credentials whatever they look like. */
const SECRET_FIELD = /^(.*token|response_?urls?|.*secret|password|authorization)$/i;

/** What a removed value is replaced with. */
export const REDACTED = '[redacted]';

/** `text` with tokens cut to their prefix and hook URLs removed; most strings hold neither and are returned as they are. */
function redactText(text: string): string {
  const token = text.includes('xox') || text.includes('xapp-');
  const hook = text.includes('hooks.slack');
  if (!token && !hook) return text;
  const cut = token ? text.replace(TOKEN, '$1…') : text;
  return hook ? cut.replace(HOOK_URL, `https://hooks.slack.com/${REDACTED}`) : cut;
}

/**
 * The one redaction for anything kept or shown (the inspector's pages, stored events, fixtures):
 * Slack tokens inside any string become their prefix and `…`, hooks.slack.com URLs lose their path;
 * `token` fields (Slack's verification token, `*_token`), `response_url` / `response_urls` and a
 * `respond` effect's `url` (they are credentials: anyone holding one can post), secrets and
 * passwords become `[redacted]`. Returns a copy; the input is untouched.
 *
 * @example redactValue({ token: 'abc', text: 'xoxb-1-2' }) // { token: '[redacted]', text: 'xoxb-…' }
 */
export function redactValue(value: unknown, key = '', depth = 0): unknown {
  if (key !== '' && SECRET_FIELD.test(key) && value !== null && value !== undefined) return REDACTED;
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  // A signed but hostile payload may nest thousands deep: what lies below is dropped, not recursed into.
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, '', depth + 1));
  const source = value as Record<string, unknown>;
  // A respond effect (core/action.ts `respond()`) carries the response_url as `url`.
  const respond = source.type === 'respond';
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(source)) {
    const v = source[k];
    const kept = respond && k === 'url' && typeof v === 'string' ? REDACTED : redactValue(v, k, depth + 1);
    // JSON.parse makes `__proto__` an own field: define it, an assignment would set the prototype.
    if (k === '__proto__')
      Object.defineProperty(copy, k, { value: kept, enumerable: true, writable: true, configurable: true });
    else copy[k] = kept;
  }
  return copy;
}

/** How deep `redactValue` goes; Slack's own payloads nest a few levels (blocks in views: about 10). */
const MAX_DEPTH = 64;
/** What stands for a value nested deeper than `MAX_DEPTH`. */
export const TOO_DEEP = '[nested too deep]';
