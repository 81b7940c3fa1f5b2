import type { Logger } from '../core/context.js';
import { REDACTED } from './redact.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** `text`: one readable line per message (the default); `json`: one JSON object per line, for log platforms. */
export type LogFormat = 'text' | 'json';

/** Slack tokens and secrets that must never reach a log line. */
const SECRET = /\b(xox[abposre]-|xoxe\.|xapp-)[A-Za-z0-9.-]+/g;

/** A response_url (or an incoming webhook): whoever holds one can post, so it is a credential. */
const HOOK_URL = /https:\/\/hooks\.slack(?:-gov)?\.com\/[^\s"'<>]*/g;

/** Replaces anything that looks like a Slack token with its prefix and `…`, and hooks.slack.com URLs whole. */
export function redact(text: string): string {
  return text.replace(SECRET, '$1…').replace(HOOK_URL, `https://hooks.slack.com/${REDACTED}`);
}

/** Keys whose string values are credentials whatever they look like (Slack's verification `token`, secrets). */
const SECRET_KEY = /token|secret|password|authorization|response_url/i;

/** A field's value with credentials removed, at any depth: secret keys, tokens and hook URLs in strings. */
function clean(key: string, value: unknown): unknown {
  if (SECRET_KEY.test(key) && (typeof value === 'string' || /^response_urls$/i.test(key))) return REDACTED;
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => clean('', item));
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(k, v)]));
  }
  return value;
}

function format(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /\s/.test(text ?? '') ? JSON.stringify(text) : (text ?? 'undefined');
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where each line goes; `console.log` by default. */
  write?: (line: string) => void;
}

/**
 * One line per message, tokens and response URLs redacted at every level. The readable format is
 * `12:00:01.234 WARN message key=value …`; `json` is `{"time":…,"level":…,"msg":…,"fields":{…}}`.
 *
 * @example createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT })
 */
export function createLogger(
  options: LogLevel | LoggerOptions = 'info',
  write: (line: string) => void = (line) => console.log(line),
): Logger {
  const {
    level = 'info',
    format: shape = 'text',
    write: out = write,
  } = typeof options === 'string' ? { level: options } : options;
  const min = LEVELS[level];
  const log =
    (at: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS[at] < min) return;
      const kept = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, clean(k, v)] as const);
      if (shape === 'json') {
        const time = new Date().toISOString();
        out(JSON.stringify({ time, level: at, msg: redact(message), fields: Object.fromEntries(kept) }));
        return;
      }
      const time = new Date().toISOString().slice(11, 23);
      const tail = kept.map(([k, v]) => `${k}=${format(v)}`).join(' ');
      const tag = at === 'info' ? '' : `${at.toUpperCase()} `;
      out(`${time} ${tag}${redact(message)}${tail ? ` ${tail}` : ''}`);
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    enabled: (at) => LEVELS[at] >= min,
  };
}
