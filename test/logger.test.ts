import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../src/log/logger.js';

describe('the logger', () => {
  it('writes one line with the fields, and never a token', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (line) => lines.push(line));
    logger.info('event app_mention', { team: 'T1', note: 'sent with xoxb-123-456-abc' });
    logger.debug('payload', {
      payload: { token: 'verification-token', nested: { bot_token: 'xoxb-1', text: 'hi' } },
    });
    expect(lines.map((l) => l.slice(13))).toEqual([
      'event app_mention team=T1 note="sent with xoxb-…"',
      'DEBUG payload payload={"token":"[redacted]","nested":{"bot_token":"[redacted]","text":"hi"}}',
    ]);
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    const logger = createLogger('warn', (line) => lines.push(line));
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => l.slice(13))).toEqual(['WARN loud']);
  });

  it('redacts app-level and user tokens in free text', () => {
    expect(redact('xapp-1-A1-2-abc and xoxp-9-8 and xoxb-7')).toBe('xapp-… and xoxp-… and xoxb-…');
  });
});
