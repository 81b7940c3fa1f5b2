import { describe, expect, it } from 'vitest';
import { normalizeEnvelope, normalizeHttp } from '../../src/core/normalize.js';
import { SLACK_ID, SLACK_TS } from '../../src/core/payloads.js';
import { fixture, fixtureNames, httpForm, socketForm } from '../helpers/fixtures.js';
import { mutate } from '../helpers/mutate.js';

const NOT_AN_ID = 'not a Slack id (printable ASCII, no spaces, at most 128 characters)';
const NOT_A_TS = 'not a Slack timestamp (digits, one dot, digits)';

type Path = (string | number)[];

/** The fixture with `value` at `path`. */
function withValue(name: string, path: Path, value: unknown) {
  const f = fixture(name);
  return { ...f, payload: mutate(f.payload, [{ op: 'set', path, value, label: '' }]) };
}

/** What normalize says of the fixture with `value` at `path`, over HTTP and over Socket Mode. */
function refusals(name: string, path: Path, value: unknown): [string | null, string | null] {
  const f = withValue(name, path, value);
  const http = normalizeHttp(httpForm(f));
  const socket = normalizeEnvelope(socketForm(f));
  return [http.ok ? null : http.error.message, socket.ok ? null : socket.error.message];
}

/** Normalizes over both transports, or throws. */
function accepts(f: ReturnType<typeof withValue>): void {
  const http = normalizeHttp(httpForm(f));
  if (!http.ok) throw http.error;
  const socket = normalizeEnvelope(socketForm(f));
  if (!socket.ok) throw socket.error;
}

// Each id the router reads, as [fixture, path, what normalize calls the payload, the field it names].
const ids: [string, Path, string, string][] = [
  ['event_app_mention', ['team_id'], 'event callback', 'team_id'],
  ['event_app_mention', ['event_id'], 'event callback', 'event_id'],
  ['event_app_mention', ['api_app_id'], 'event callback', 'api_app_id'],
  ['event_app_mention_enterprise', ['enterprise_id'], 'event callback', 'enterprise_id'],
  ['event_app_mention', ['context_enterprise_id'], 'event callback', 'context_enterprise_id'],
  ['event_app_mention', ['event', 'channel'], 'app_mention event', 'channel'],
  ['event_app_mention', ['event', 'user'], 'app_mention event', 'user'],
  ['event_message', ['event', 'channel'], 'message event', 'channel'],
  ['event_message', ['event', 'user'], 'message event', 'user'],
  ['event_link_shared', ['event', 'user'], 'link_shared event', 'user'],
  ['event_link_shared', ['event', 'message_ts'], 'link_shared event', 'message_ts'],
  ['event_app_home_opened', ['event', 'channel'], 'app_home_opened event', 'channel'],
  ['event_tokens_revoked', ['event', 'tokens', 'bot', 0], 'tokens_revoked event', 'tokens.bot.0'],
  ['command_link', ['team_id'], 'slash command', 'team_id'],
  ['command_link', ['channel_id'], 'slash command', 'channel_id'],
  ['command_link', ['user_id'], 'slash command', 'user_id'],
  ['command_link', ['trigger_id'], 'slash command', 'trigger_id'],
  ['command_link', ['enterprise_id'], 'slash command', 'enterprise_id'],
  ['block_actions_link_channel', ['team', 'id'], 'interactive payload', 'team.id'],
  ['block_actions_link_channel', ['user', 'id'], 'interactive payload', 'user.id'],
  ['block_actions_link_channel', ['user', 'team_id'], 'interactive payload', 'user.team_id'],
  ['block_actions_link_channel', ['channel', 'id'], 'interactive payload', 'channel.id'],
  ['block_actions_link_channel', ['trigger_id'], 'interactive payload', 'trigger_id'],
  ['block_actions_link_channel', ['actions', 0, 'action_ts'], 'interactive payload', 'actions.0.action_ts'],
  ['view_submission_link', ['view', 'id'], 'interactive payload', 'view.id'],
  ['view_submission_link', ['view', 'hash'], 'interactive payload', 'view.hash'],
  ['view_closed_link', ['enterprise'], 'interactive payload', 'enterprise.id'],
  ['shortcut_global', ['trigger_id'], 'interactive payload', 'trigger_id'],
  ['message_action', ['trigger_id'], 'interactive payload', 'trigger_id'],
];

// Each timestamp, as above.
const timestamps: [string, Path, string, string][] = [
  ['event_app_mention', ['event', 'ts'], 'app_mention event', 'ts'],
  ['event_app_mention_in_thread', ['event', 'thread_ts'], 'app_mention event', 'thread_ts'],
  ['event_message', ['event', 'ts'], 'message event', 'ts'],
  ['shortcut_global', ['action_ts'], 'interactive payload', 'action_ts'],
  ['message_action', ['message_ts'], 'interactive payload', 'message_ts'],
];

describe('ids at the edge', () => {
  const bad: [string, unknown][] = [
    ['a NUL', 'T0\u0000ACME'],
    ['a space', 'T0 ACME'],
    ['a lone surrogate', 'T0\ud800'],
    ['a non-ASCII letter', 'T0ÄCME'],
    ['129 characters', 'T'.repeat(129)],
  ];
  describe.each(ids)('%s: %j', (name, path, what, field) => {
    // enterprise.id sits in an object: put the bad id there.
    const at = (value: unknown): [Path, unknown] =>
      field === 'enterprise.id' ? [path, { id: value }] : [path, value];
    it.each(bad)('is refused with %s, naming the field, over HTTP and Socket Mode', (_label, value) => {
      const message = `${what}: ${field}: ${NOT_AN_ID}`;
      expect(refusals(name, ...at(value))).toEqual([message, message]);
    });
  });

  describe.each(timestamps)('%s: %j', (name, path, what, field) => {
    it.each(['1764100000', '1764100000.000100.1', '1764100000.0001x', '.000100', '1764100000.000100 '])(
      'refuses the timestamp %j, naming the field',
      (value) => {
        const message = `${what}: ${field}: ${NOT_A_TS}`;
        expect(refusals(name, path, value)).toEqual([message, message]);
      },
    );
  });

  // Slack sends objects (user_change) or nothing in `user` of events the router does not model.
  it.each(bad)(
    'accepts an event it does not model with %s in its user, and lifts no user',
    (_label, value) => {
      const f = withValue('event_reaction_added', ['event', 'user'], value);
      const http = normalizeHttp(httpForm(f));
      const socket = normalizeEnvelope(socketForm(f));
      expect(http.ok && http.value.type === 'event' ? http.value.event.userId : 'refused').toBeNull();
      expect(socket.ok ? socket.value.event.userId : 'refused').toBeNull();
    },
  );

  it('refuses an envelope id that is not Slack-shaped', () => {
    const result = normalizeEnvelope(socketForm(fixture('command_link'), { envelopeId: 'env\u0000one' }));
    expect(result.ok ? null : [result.error.code, result.error.message]).toEqual([
      'invalid_payload',
      `envelope: envelope_id: ${NOT_AN_ID}`,
    ]);
  });

  it('refuses a NUL in context_enterprise_id: the delivery of issue 18', () => {
    const message = `event callback: context_enterprise_id: ${NOT_AN_ID}`;
    expect(refusals('event_app_mention_enterprise', ['context_enterprise_id'], 'E0GRID\u0000001')).toEqual([
      message,
      message,
    ]);
  });
});

describe('the shapes Slack really sends are accepted', () => {
  it.each([
    [
      'a UUID envelope id',
      () =>
        normalizeEnvelope(
          socketForm(fixture('command_link'), { envelopeId: '2f3c1f4e-8b1a-4c4e-9d77-5f0a0c1d2e3f' }),
        ),
    ],
    [
      'a trigger id of three parts',
      () =>
        normalizeHttp(
          httpForm(
            withValue(
              'command_link',
              ['trigger_id'],
              '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
            ),
          ),
        ),
    ],
  ])('%s', (_label, run) => {
    expect(run().ok).toBe(true);
  });

  it.each<[string, string, Path, unknown]>([
    [
      'a composer link_shared (unfurl id as message_ts)',
      'event_link_shared',
      ['event', 'message_ts'],
      'U0USER001-909b5454-75f8-4ac4-b325-1b40e230bbd8-1',
    ],
    ['a composer link_shared (channel COMPOSER)', 'event_link_shared', ['event', 'channel'], 'COMPOSER'],
    ['a null enterprise_id', 'event_app_mention', ['enterprise_id'], null],
    ['an empty enterprise_id in a command form', 'command_link', ['enterprise_id'], ''],
    [
      'an event whose channel is an object',
      'event_reaction_added',
      ['event', 'channel'],
      { id: 'C0CHAN001', name: 'general' },
    ],
    ['a 128-character id', 'command_link', ['trigger_id'], 'x'.repeat(128)],
  ])('accepts %s', (_label, name, path, value) => {
    expect(() => accepts(withValue(name, path, value))).not.toThrow();
  });

  it('finds every id and timestamp in the fixtures Slack-shaped', () => {
    const idKeys = new Set([
      'team_id',
      'user_id',
      'channel_id',
      'trigger_id',
      'event_id',
      'api_app_id',
      'bot_id',
      'app_id',
      'enterprise_id',
      'id',
    ]);
    const tsKeys = new Set(['ts', 'thread_ts', 'event_ts', 'action_ts', 'message_ts']);
    const misfits: string[] = [];
    const walk = (value: unknown, where: string): void => {
      if (typeof value !== 'object' || value === null) return;
      for (const [key, v] of Object.entries(value)) {
        if (typeof v === 'string' && idKeys.has(key) && !SLACK_ID.test(v))
          misfits.push(`${where}.${key}=${v}`);
        if (typeof v === 'string' && tsKeys.has(key) && !SLACK_TS.test(v))
          misfits.push(`${where}.${key}=${v}`);
        walk(v, `${where}.${key}`);
      }
    };
    const names = fixtureNames();
    for (const name of names) walk(fixture(name).payload, name);
    expect(names).toContain('event_app_mention_enterprise');
    expect(misfits).toEqual([]);
  });
});

describe('free text stays free', () => {
  it.each<[string, string, Path, string]>([
    [
      'a mention text with a NUL and a lone surrogate',
      'event_app_mention',
      ['event', 'text'],
      'hi \u0000 there \ud800',
    ],
    ['a command text with a NUL', 'command_link', ['text'], 'ac\u0000me'],
    ['an options query with a NUL', 'block_suggestion_org_picker', ['value'], 'ac\u0000'],
    [
      'a view private_metadata of 10 KB',
      'view_submission_link',
      ['view', 'private_metadata'],
      'm'.repeat(10_000),
    ],
    [
      'an action value with spaces',
      'block_actions_link_channel',
      ['actions', 0, 'value'],
      'a value with spaces',
    ],
  ])('accepts %s', (_label, name, path, value) => {
    expect(() => accepts(withValue(name, path, value))).not.toThrow();
  });
});
