/** Logs an operator can act on: redaction at every level, LOG_FORMAT=json, refusals summarized, drains. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/settings.js';
import { normalizeHttp } from '../../src/core/normalize.js';
import { createLogger } from '../../src/log/logger.js';
import { refusalLog } from '../../src/log/refusals.js';
import { logDelivery, logDrain } from '../../src/pipeline/delivery-log.js';
import { fixture, httpForm } from '../helpers/fixtures.js';

const HOOK = 'https://hooks.slack.com/commands/T0001ACME/1234567890/abcdefSECRETpart';

describe('redaction', () => {
  it('removes response_url fields and hooks.slack.com URLs at debug too', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    logger.debug('payload', {
      payload: {
        response_url: HOOK,
        response_urls: [{ url: HOOK }],
        text: `see ${HOOK} now`,
        trigger_id: '123.456',
      },
    });
    logger.debug(`respond to ${HOOK}`, { response_url: HOOK, token: 'verification-token' });
    expect(lines.map((l) => l.slice(13))).toEqual([
      'DEBUG payload payload="{\\"response_url\\":\\"[redacted]\\",\\"response_urls\\":\\"[redacted]\\",\\"text\\":\\"see https://hooks.slack.com/[redacted] now\\",\\"trigger_id\\":\\"123.456\\"}"',
      'DEBUG respond to https://hooks.slack.com/[redacted] response_url=[redacted] token=[redacted]',
    ]);
    expect(lines.join('\n')).not.toContain('SECRET');
  });
});

describe('LOG_FORMAT=json', () => {
  it('writes one JSON object per line: time, level, msg, fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', write: (l) => lines.push(l) });
    logger.warn('request refused: 401 signature_mismatch: X-Slack-Signature does not match the body', {
      path: '/slack/events',
      agent: 'Slackbot 1.0 (+https://api.slack.com/robots)',
      response_url: HOOK,
      note: 'token xoxb-1-2-3',
    });
    logger.debug('hidden');
    expect(lines).toHaveLength(1);
    const parsed = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(parsed.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect({ ...parsed, time: 'T' }).toEqual({
      time: 'T',
      level: 'warn',
      msg: 'request refused: 401 signature_mismatch: X-Slack-Signature does not match the body',
      fields: {
        path: '/slack/events',
        agent: 'Slackbot 1.0 (+https://api.slack.com/robots)',
        response_url: '[redacted]',
        note: 'token xoxb-…',
      },
    });
  });

  it('is a setting: text by default, json or text only', () => {
    expect(loadConfig({}).LOG_FORMAT).toBe('text');
    expect(loadConfig({ LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(
      'LOG_FORMAT is invalid (Invalid option: expected one of "text"|"json"): text (one readable line per message) or json (one JSON object per line, for log platforms)',
    );
  });
});

describe('refused requests', () => {
  afterEach(() => vi.useRealTimers());

  it('logs the first of a kind at once, and the repeats of a minute in one line with a count', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l.slice(13)) });
    const refused = refusalLog(logger);
    const bad = {
      status: 401,
      code: 'signature_mismatch',
      reason: 'X-Slack-Signature does not match the body',
      path: '/slack/events',
      userAgent: 'curl/8.5.0',
    };
    for (let i = 0; i < 5; i++) refused(bad);
    refused({ ...bad, status: 413, code: 'body_too_large', reason: 'the body is larger than 1048576 bytes' });
    expect(lines).toEqual([
      'WARN request refused: 401 signature_mismatch: X-Slack-Signature does not match the body path=/slack/events agent=curl/8.5.0',
      'WARN request refused: 413 body_too_large: the body is larger than 1048576 bytes path=/slack/events agent=curl/8.5.0',
    ]);
    vi.advanceTimersByTime(60_000);
    expect(lines.slice(2)).toEqual([
      'WARN refused 4 more requests in the last minute: 401 signature_mismatch path=/slack/events agent=curl/8.5.0',
    ]);
    refused(bad); // a new minute: logged again at once
    expect(lines.slice(3)).toEqual([
      'WARN request refused: 401 signature_mismatch: X-Slack-Signature does not match the body path=/slack/events agent=curl/8.5.0',
    ]);
  });
});

describe('a drain', () => {
  it('logs its counts, then each effect that failed for good with its delivery, method, attempts and error', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l.slice(13)) });
    logDrain(logger, {
      done: 1,
      retried: 0,
      failed: 1,
      pruned: 0,
      failures: [
        {
          id: 7,
          effect: 'chat.postMessage',
          status: 'failed',
          error: 'channel_not_found',
          ms: 12,
          delivery: 42,
          attempts: 5,
        },
      ],
    });
    logDrain(logger, { done: 0, retried: 0, failed: 0, pruned: 0 });
    expect(lines).toEqual([
      'drain done=1 retried=0 failed=1 pruned=0',
      'ERROR effect failed for good: chat.postMessage delivery=42 attempts=5 error=channel_not_found',
    ]);
  });
});

describe('deliveries Slack sends that the router does not model', () => {
  const acked = {
    status: 'ack',
    body: null,
    handler: null,
    recorded: 'none',
    effects: [],
    error: null,
    after: async () => [],
  } as const;
  const event = (name: string) => {
    const result = normalizeHttp(httpForm(fixture(name)));
    if (!result.ok || result.value.type !== 'event') throw new Error(`${name} did not normalize`);
    return result.value.event;
  };

  it('warns once about app_rate_limited, naming the team and minute, even with info hidden', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l.slice(13)) });
    logDelivery(logger, event('app_rate_limited'), acked, 1.2);
    logDelivery(
      logger,
      { ...event('app_rate_limited'), retryNum: 1, retryReason: 'http_timeout' },
      acked,
      1.2,
    );
    expect(lines).toEqual([
      "WARN app_rate_limited: Slack is dropping this app's events for team T0001ACME in the minute from 2025-11-25 19:53 UTC (over 30,000 an hour) team=T0001ACME minute=1764100380",
    ]);
  });

  it('logs an unhandled legacy interactive payload at debug only', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l.slice(13)) });
    logDelivery(logger, event('dialog_submission'), acked, 0.5);
    expect(lines).toEqual([
      'DEBUG interactive dialog_submission team=T0001ACME channel=C0CHAN001 user=U0USER0001 via=http handler=none ack=0.5ms',
    ]);
  });
});
