import { describe, expect, it } from 'vitest';
import { eventOf } from '../src/testing/run-handler.js';
import {
  buildTemplate,
  freshIds,
  type IdSource,
  TEMPLATES,
  type TemplateName,
} from '../src/testing/trigger-templates.js';
import { fixture } from './helpers/fixtures.js';

/** Fixed ids: the first character of each alphabet, repeated, at a fixed second. */
const fixed: IdSource = {
  now: () => 1764200000,
  random: (length, alphabet) => alphabet.charAt(0).repeat(length),
};
const TS = '1764200000.000000';
const TRIGGER = `1764200000.0000000000.${'0'.repeat(32)}`;

const build = (name: TemplateName, words: string[] = [], channel?: string) =>
  buildTemplate(name, { words, channel }, fixture, fixed);

describe('freshIds', () => {
  it('gives an event new ids and one new ts wherever the message ts is, leaving the rest', () => {
    const original = fixture('event_link_shared');
    const fresh = freshIds(original, fixed);
    const event = fresh.payload.event as Record<string, unknown>;
    expect([fresh.payload.event_id, fresh.payload.event_time]).toEqual(['EvAAAAAAAAAA', 1764200000]);
    expect([event.message_ts, event.event_ts, event.unfurl_id]).toEqual([
      TS,
      TS,
      `C0CHAN001.${TS}.fakeunfurl`,
    ]);
    expect(event.links).toEqual((original.payload.event as Record<string, unknown>).links);
    expect(original.payload.event_id).toBe('Ev0LINKSHR01'); // the fixture is untouched
  });

  it('gives an interaction a new trigger_id and action_ts, so its dedup key changes', () => {
    const fresh = freshIds(fixture('block_actions_link_channel'), fixed);
    expect(fresh.payload.trigger_id).toBe(TRIGGER);
    expect((fresh.payload.actions as { action_ts: string }[])[0]?.action_ts).toBe(TS);
    expect(eventOf(fresh).deliveryId).toBe(`block_action:T0001ACME:${TRIGGER}:${TS}`);
    expect(eventOf(fixture('block_actions_link_channel')).deliveryId).not.toBe(eventOf(fresh).deliveryId);
  });

  it('two sends never share a delivery id', () => {
    const a = eventOf(freshIds(fixture('event_app_mention')));
    const b = eventOf(freshIds(fixture('event_app_mention')));
    expect(a.deliveryId).not.toBe(b.deliveryId);
  });
});

describe('buildTemplate', () => {
  it('mention: the text after the bot mention, in --channel, not in a thread', () => {
    const built = build('mention', ['hello', 'there'], 'C0TRY0001');
    const event = built.payload.event as Record<string, unknown>;
    expect(built.name).toBe('mention (event_app_mention)');
    expect(event).toMatchObject({
      type: 'app_mention',
      text: '<@U0BOT0001> hello there',
      channel: 'C0TRY0001',
      ts: TS,
      event_ts: TS,
    });
    expect(event.blocks).toEqual([
      {
        type: 'rich_text',
        block_id: 'b1',
        elements: [
          {
            type: 'rich_text_section',
            elements: [
              { type: 'user', user_id: 'U0BOT0001' },
              { type: 'text', text: ' hello there' },
            ],
          },
        ],
      },
    ]);
    expect(eventOf(built).deliveryId).toBe(`app_mention:T0001ACME:C0TRY0001:${TS}`);
  });

  it('command: the command and its text, a fresh trigger_id', () => {
    const { payload } = build('command', ['/unlink'], 'C0TRY0001');
    expect([payload.command, payload.text, payload.channel_id, payload.trigger_id]).toEqual([
      '/unlink',
      '',
      'C0TRY0001',
      TRIGGER,
    ]);
    const link = build('command', ['/link acme']).payload;
    expect([link.command, link.text, link.channel_id]).toEqual(['/link', 'acme', 'C0CHAN001']);
  });

  it('unfurl: one link per URL with its host as the domain', () => {
    const event = build('unfurl', ['https://app.example.com/orgs/acme', 'http://other.test/x'], 'C0TRY0001')
      .payload.event as Record<string, unknown>;
    expect(event.links).toEqual([
      { domain: 'app.example.com', url: 'https://app.example.com/orgs/acme' },
      { domain: 'other.test', url: 'http://other.test/x' },
    ]);
    expect([event.channel, event.message_ts, event.unfurl_id]).toEqual([
      'C0TRY0001',
      TS,
      `C0TRY0001.${TS}.fakeunfurl`,
    ]);
  });

  it('home and button', () => {
    expect(build('home').payload.event_id).toBe('EvAAAAAAAAAA');
    const button = build('button', ['link_channel'], 'C0TRY0001').payload;
    expect((button.actions as Record<string, unknown>[])[0]).toMatchObject({
      action_id: 'link_channel',
      value: 'C0TRY0001',
      action_ts: TS,
    });
    expect([
      (button.channel as { id: string }).id,
      (button.container as { channel_id: string }).channel_id,
    ]).toEqual(['C0TRY0001', 'C0TRY0001']);
  });

  it.each([
    [
      'command',
      ['link', 'acme'],
      undefined,
      'command needs a slash command, e.g. npm run trigger -- command "/link acme" (got "link acme")',
    ],
    [
      'unfurl',
      [],
      undefined,
      'unfurl needs a URL, e.g. npm run trigger -- unfurl https://app.example.com/orgs/acme',
    ],
    [
      'unfurl',
      ['app.example.com/orgs/acme'],
      undefined,
      'unfurl: "app.example.com/orgs/acme" is not a URL (https://host/path)',
    ],
    [
      'unfurl',
      ['ftp://app.example.com/x'],
      undefined,
      'unfurl: "ftp://app.example.com/x" is not an http(s) URL',
    ],
    ['home', [], 'C0TRY0001', 'home takes no arguments: it opens the Home tab of the fixture user'],
    ['mention', [], 'c123', '--channel "c123" is not a channel id: use one like C0123ABCD'],
  ] as const)('%s %j --channel %s → %s', (name, words, channel, message) => {
    expect(() => build(name, [...words], channel)).toThrow(message);
  });

  it('asks the assistant in its thread, and stops there', () => {
    const asked = eventOf(buildTemplate('ask', { words: ['What', 'is', 'acme', 'up', 'to?'] }, fixture));
    const stopped = eventOf(buildTemplate('stop', { words: [] }, fixture));
    expect(asked.payload).toMatchObject({
      text: 'What is acme up to?',
      channel_type: 'im',
      thread_ts: '1764100400.000100',
    });
    expect(stopped.payload).toMatchObject({ channel: 'D0DMCHAN01', thread_ts: '1764100400.000100' });
  });

  it('every template is built from a fixture that exists and normalizes', () => {
    const words: Record<TemplateName, string[]> = {
      mention: ['hi'],
      command: ['/link acme'],
      unfurl: ['https://app.example.com/orgs/acme'],
      home: [],
      button: [],
      assistant: [],
      ask: ['What is acme up to?'],
      stop: [],
    };
    for (const name of Object.keys(TEMPLATES) as TemplateName[]) {
      expect(eventOf(buildTemplate(name, { words: words[name] }, fixture)).teamId).toBe('T0001ACME');
    }
  });
});
