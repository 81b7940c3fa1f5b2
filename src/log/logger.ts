import type { Logger } from '../core/context.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** Slack tokens and secrets that must never reach a log line. */
const SECRET = /\b(xox[abposre]-|xapp-)[A-Za-z0-9-]+/g;

/** Replaces anything that looks like a Slack token with its prefix and `…`. */
export function redact(text: string): string {
  return text.replace(SECRET, '$1…');
}

/** Fields whose values are secrets whatever they look like (Slack's verification `token`, signing secrets). */
const SECRET_KEY = /token|secret|password|authorization/i;

function format(value: unknown): string {
  const text =
    typeof value === 'string'
      ? value
      : JSON.stringify(value, (key, v) => (SECRET_KEY.test(key) && typeof v === 'string' ? '[redacted]' : v));
  return redact(/\s/.test(text ?? '') ? JSON.stringify(text) : (text ?? 'undefined'));
}

/** One line per message for a person at a terminal: `12:00:01.234 message key=value …`. Tokens redacted. */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => console.log(line),
): Logger {
  const min = LEVELS[level];
  const log =
    (at: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS[at] < min) return;
      const time = new Date().toISOString().slice(11, 23);
      const tail = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${format(v)}`)
        .join(' ');
      const tag = at === 'info' ? '' : `${at.toUpperCase()} `;
      write(`${time} ${tag}${redact(message)}${tail ? ` ${tail}` : ''}`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
