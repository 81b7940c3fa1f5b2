import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/core/errors.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { normalizeEnvelope, normalizeHttp } from '../../src/core/normalize.js';
import { fixture, fixtureNames, httpForm, socketForm } from '../helpers/fixtures.js';

function viaHttp(name: string, retry: { retryNum?: number; retryReason?: string } = {}): NormalizedEvent {
  const result = normalizeHttp({ ...httpForm(fixture(name)), ...retry });
  if (!result.ok) throw result.error;
  if (result.value.type !== 'event') throw new Error(`expected an event, got ${result.value.type}`);
  return result.value.event;
}

function viaSocket(
  name: string,
  options: { retryAttempt?: number; retryReason?: string } = {},
): NormalizedEvent {
  const result = normalizeEnvelope(socketForm(fixture(name), options));
  if (!result.ok) throw result.error;
  return result.value.event;
}

describe('normalize', () => {
  it.each(fixtureNames())('gives the same event for %s over HTTP and over Socket Mode', (name) => {
    const http = viaHttp(name);
    const socket = viaSocket(name);
    expect(http.source).toBe('http');
    expect(socket.source).toBe('socket');
    expect({ ...socket, source: 'http' }).toEqual(http);
  });

  it('covers every delivery kind with fixtures', () => {
    const kinds = new Set(fixtureNames().map((name) => viaHttp(name).kind));
    expect([...kinds].sort()).toEqual(
      [
        'block_action',
        'command',
        'event',
        'interactive',
        'message_shortcut',
        'options',
        'shortcut',
        'view_closed',
        'view_submission',
      ].sort(),
    );
  });

  it('lifts the common fields of an app_mention', () => {
    const event = viaHttp('event_app_mention', { retryNum: 2, retryReason: 'http_timeout' });
    expect(event).toMatchObject({
      kind: 'event',
      name: 'app_mention',
      deliveryId: 'app_mention:T0001ACME:C0CHAN001:1764100000.000100',
      teamId: 'T0001ACME',
      enterpriseId: null,
      userId: 'U0USER001',
      channelId: 'C0CHAN001',
      responseUrl: null,
      retryNum: 2,
      retryReason: 'http_timeout',
      source: 'http',
      eventId: 'Ev0MENTION01',
    });
  });

  it('takes retry_attempt and retry_reason from a Socket Mode envelope', () => {
    const event = viaSocket('event_reaction_added', { retryAttempt: 1, retryReason: 'timeout' });
    expect([event.retryNum, event.retryReason, event.deliveryId]).toEqual([1, 'timeout', 'event:Ev0REACT01']);
  });

  it('keys a message by team, channel and ts, so one message under two event ids is one delivery', () => {
    const first = viaHttp('event_message');
    const f = fixture('event_message');
    const again = normalizeHttp(httpForm({ ...f, payload: { ...f.payload, event_id: 'Ev0OTHERID' } }));
    expect(again.ok && again.value.type === 'event' && again.value.event.deliveryId).toBe(first.deliveryId);
  });

  it('reads the enterprise id of a Grid delivery', () => {
    expect(viaHttp('event_app_mention_enterprise').enterpriseId).toBe('E0GRID001');
  });

  it('names commands, actions, views and options by what handlers register under', () => {
    const names = [
      'command_link',
      'block_actions_link_channel',
      'view_submission_link',
      'view_closed_link',
      'shortcut_global',
      'message_action',
      'block_suggestion_org_picker',
    ].map((n) => {
      const e = viaHttp(n);
      return [e.kind, e.name, e.deliveryId, e.channelId, e.responseUrl];
    });
    expect(names).toEqual([
      [
        'command',
        '/link',
        'command:T0001ACME:1000.2000.faketrigger01',
        'C0CHAN001',
        'https://hooks.slack.com/commands/T0001ACME/1000/fakeresponse',
      ],
      [
        'block_action',
        'link_channel',
        'block_action:T0001ACME:1000.3000.faketrigger06:1764100700.123456',
        'C0CHAN001',
        'https://hooks.slack.com/actions/T0001ACME/2000/fakeresponse',
      ],
      ['view_submission', 'link_channel', 'view_submission:T0001ACME:1000.4000.faketrigger07', null, null],
      ['view_closed', 'link_channel', 'view_closed:T0001ACME:V0VIEW0001', null, null],
      ['shortcut', 'open_link_modal', 'shortcut:T0001ACME:1000.5000.faketrigger09', null, null],
      [
        'message_shortcut',
        'link_from_message',
        'message_shortcut:T0001ACME:1000.6000.faketrigger10',
        'C0CHAN001',
        'https://hooks.slack.com/app/T0001ACME/3000/fakeresponse',
      ],
      ['options', 'org_picker', 'options:T0001ACME:U0USER001:V0VIEW0001:org_picker:ac', null, null],
    ]);
  });

  it('answers url_verification with its challenge', () => {
    const body = JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' });
    expect(normalizeHttp({ body, contentType: 'application/json' })).toEqual({
      ok: true,
      value: { type: 'url_verification', challenge: 'c-123' },
    });
  });

  it('refuses a url_verification without a challenge, naming the field', () => {
    const result = normalizeHttp({
      body: JSON.stringify({ token: 'x', type: 'url_verification' }),
      contentType: 'application/json',
    });
    expect(result.ok ? null : [result.error.code, result.error.message]).toEqual([
      'invalid_payload',
      expect.stringMatching(/^url_verification: challenge: /),
    ]);
  });

  it('recognizes ssl_check', () => {
    expect(
      normalizeHttp({ body: 'ssl_check=1&token=x', contentType: 'application/x-www-form-urlencoded' }),
    ).toEqual({
      ok: true,
      value: { type: 'ssl_check' },
    });
  });
});

describe('normalize refuses what does not fit, without throwing', () => {
  const json = 'application/json';
  const form = 'application/x-www-form-urlencoded';
  const mention = fixture('event_app_mention').payload;
  const cases: [string, () => Result<unknown>, string, RegExp][] = [
    [
      'truncated JSON',
      () => normalizeHttp({ body: '{"type":"event_cal', contentType: json }),
      'malformed_json',
      /not valid JSON/,
    ],
    [
      'a JSON body without type',
      () => normalizeHttp({ body: '{"team_id":"T1"}', contentType: json }),
      'unknown_type',
      /type/,
    ],
    [
      'an empty outer type',
      () => normalizeHttp({ body: '{"type":""}', contentType: json }),
      'unknown_type',
      /type/,
    ],
    [
      'an event_id of the wrong type',
      () => normalizeHttp({ body: JSON.stringify({ ...mention, event_id: 42 }), contentType: json }),
      'invalid_payload',
      /event_id/,
    ],
    [
      'an app_mention without a channel',
      () =>
        normalizeHttp({
          body: JSON.stringify({ ...mention, event: { type: 'app_mention', text: 'hi', ts: '1.2' } }),
          contentType: json,
        }),
      'invalid_payload',
      /app_mention event: channel/,
    ],
    [
      'a form body without payload',
      () => normalizeHttp({ body: 'foo=bar', contentType: form }),
      'missing_payload',
      /neither/,
    ],
    [
      'a payload field that is not JSON',
      () => normalizeHttp({ body: 'payload=%7Bnope', contentType: form }),
      'malformed_json',
      /payload field/,
    ],
    [
      'an interactive payload whose type is not a string',
      () =>
        normalizeHttp({
          body: `payload=${encodeURIComponent('{"type":42}')}`,
          contentType: form,
        }),
      'unknown_type',
      /type/,
    ],
    [
      'a command without trigger_id',
      () => normalizeHttp({ body: 'command=%2Flink&team_id=T1', contentType: form }),
      'invalid_payload',
      /slash command/,
    ],
    [
      'a content type Slack never sends',
      () => normalizeHttp({ body: '<xml/>', contentType: 'text/xml' }),
      'unsupported_media_type',
      /text\/xml/,
    ],
    [
      'an unknown envelope type',
      () => normalizeEnvelope({ envelope_id: 'e1', type: 'hello_world', payload: {} }),
      'unknown_type',
      /envelope: type/,
    ],
    [
      'an envelope without an id',
      () => normalizeEnvelope({ type: 'events_api', payload: {} }),
      'invalid_payload',
      /envelope_id/,
    ],
    ['an envelope that is not an object', () => normalizeEnvelope('garbage'), 'invalid_payload', /envelope/],
    [
      'an events_api envelope with a bad payload',
      () => normalizeEnvelope({ envelope_id: 'e1', type: 'events_api', payload: { type: 'event_callback' } }),
      'invalid_payload',
      /event callback/,
    ],
  ];
  it.each(cases)('%s', (_label, run, code, message) => {
    const result = run();
    expect(result).toMatchObject({ ok: false, error: { name: 'NormalizeError', code } });
    expect(result.ok ? '' : result.error.message).toMatch(message);
  });
});
