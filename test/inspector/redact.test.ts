import { describe, expect, it } from 'vitest';
import { REDACTED, redactValue, TOO_DEEP } from '../../src/log/redact.js';

describe('redactValue, the one redaction', () => {
  it('removes every kind of credential and keeps the rest', () => {
    const input = {
      text: 'bot xoxb-1-2-abc user xoxp-9-8 app xapp-1-A0-123-def refresh xoxe-1-xyz config xoxe.xoxp-1-qq',
      token: 'fake-verification-token',
      bot_access_token: 'anything',
      response_url: 'https://hooks.slack.com/commands/T1/2/3',
      response_urls: [{ response_url: 'https://hooks.slack.com/app/T1/2/3', channel_id: 'C1' }],
      responseUrl: 'https://hooks.slack.com/commands/T1/4/5',
      botToken: 'xoxb-in-a-camel-case-field',
      signing_secret: 'abc',
      client_secret: 'def',
      nested: [{ deep: 'see xoxa-2-legacy', channel: 'C0CHAN001' }],
      view: { state: { values: { org: { picker: { value: 'acme' } } } } },
      count: 3,
      missing: null,
    };
    expect(redactValue(input)).toEqual({
      text: 'bot xoxb-… user xoxp-… app xapp-… refresh xoxe-… config xoxe.…',
      token: REDACTED,
      bot_access_token: REDACTED,
      response_url: REDACTED,
      response_urls: REDACTED,
      responseUrl: REDACTED,
      botToken: REDACTED,
      signing_secret: REDACTED,
      client_secret: REDACTED,
      nested: [{ deep: 'see xoxa-…', channel: 'C0CHAN001' }],
      view: { state: { values: { org: { picker: { value: 'acme' } } } } },
      count: 3,
      missing: null,
    });
  });

  it('removes a response_url wherever it sits: a respond effect’s url, or a hooks.slack.com URL in any text', () => {
    const effect = { type: 'respond', url: 'http://127.0.0.1:9/respond/1', body: { text: 'done' } };
    expect(redactValue(effect)).toEqual({ type: 'respond', url: REDACTED, body: { text: 'done' } });
    expect(redactValue({ text: 'post to <https://hooks.slack.com/commands/T1/2/3|here> now' })).toEqual({
      text: `post to <https://hooks.slack.com/${REDACTED}|here> now`,
    });
    expect(redactValue({ type: 'api', url: 'https://example.com/page' })).toEqual({
      type: 'api',
      url: 'https://example.com/page',
    });
  });

  it('keeps a `__proto__` field as a field, as JSON.parse made it', () => {
    const out = redactValue(JSON.parse('{"__proto__": {"token": "t"}, "a": 1}'));
    expect([Object.getPrototypeOf(out), JSON.stringify(out)]).toEqual([
      Object.prototype,
      `{"__proto__":{"token":"${REDACTED}"},"a":1}`,
    ]);
  });

  it('leaves its input untouched', () => {
    const input = { token: 't', text: 'xoxb-1' };
    redactValue(input);
    expect(input).toEqual({ token: 't', text: 'xoxb-1' });
  });
});

describe('redactValue on a hostile payload', () => {
  it('stops at a depth no Slack payload reaches, instead of overflowing the stack', () => {
    let deep: unknown = 'xoxb-1-2';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    let out = redactValue(deep);
    for (let i = 0; i < 64; i++) out = (out as { a: unknown }).a;
    expect(out).toBe(TOO_DEEP);
    expect(redactValue({ a: [{ b: 'xoxb-1-2' }] })).toEqual({ a: [{ b: 'xoxb-…' }] });
  });
});
