import { describe, expect, it } from 'vitest';
import { createRoutes } from '../../src/app/routes.js';
import { testContext } from '../../src/app/testing.js';
import { ack, api } from '../../src/core/action.js';
import { normalizeEnvelope, normalizeHttp } from '../../src/core/normalize.js';
import { SLACK_ID, SLACK_TS } from '../../src/core/payloads.js';
import { Router } from '../../src/core/router.js';
import {
  build,
  click,
  expectApiCall,
  expectEphemeralAck,
  type Fixture,
  httpForm,
  runHandler,
  socketForm,
} from '../../src/testing/index.js';

const every: [string, () => Fixture][] = [
  ['command', () => build.command('/link', { text: 'acme', channel: 'C0CHAN002' })],
  [
    'event',
    () =>
      build.event('reaction_added', {
        reaction: 'eyes',
        item: { type: 'message', channel: 'C0CHAN001', ts: '1.000001' },
        channel: undefined,
      }),
  ],
  ['mention', () => build.mention('hello', { threadTs: '1764100000.000100' })],
  ['blockActions in a message', () => build.blockActions('link_channel', { value: 'C0CHAN001' })],
  [
    'blockActions in an ephemeral message',
    () => build.blockActions('refresh', { container: { type: 'message', ephemeral: true } }),
  ],
  [
    'blockActions in a view',
    () => build.blockActions('pick', { container: { type: 'view', view: { callback_id: 'link_channel' } } }),
  ],
  [
    'viewSubmission',
    () =>
      build.viewSubmission('link_channel', {
        values: {
          org: {
            org_picker: {
              type: 'external_select',
              selected_option: { text: { type: 'plain_text', text: 'Acme' }, value: 'acme' },
            },
          },
        },
      }),
  ],
  ['viewClosed', () => build.viewClosed('link_channel')],
  ['options', () => build.options('org_picker', 'ac')],
  ['shortcut', () => build.shortcut('open_link_modal')],
  ['messageShortcut', () => build.messageShortcut('link_from_message', { text: 'see acme' })],
];

/** The ids and timestamps in a payload that are not Slack-shaped (the checks of test/core/ids.test.ts). */
function misfits(payload: unknown): string[] {
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
  const out: string[] = [];
  const walk = (value: unknown, where: string): void => {
    if (typeof value !== 'object' || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && idKeys.has(key) && !SLACK_ID.test(v)) out.push(`${where}.${key}=${v}`);
      if (typeof v === 'string' && tsKeys.has(key) && !SLACK_TS.test(v)) out.push(`${where}.${key}=${v}`);
      walk(v, `${where}.${key}`);
    }
  };
  walk(payload, '');
  return out;
}

describe('build', () => {
  it.each(every)(
    '%s: normalizes over HTTP and Socket Mode to the same event, with Slack-shaped ids',
    (_label, make) => {
      const fixture = make();
      const http = normalizeHttp(httpForm(fixture));
      const socket = normalizeEnvelope(socketForm(fixture));
      if (!http.ok) throw http.error;
      if (!socket.ok) throw socket.error;
      expect(http.value.type === 'event' ? http.value.event.deliveryId : null).toBe(
        socket.value.event.deliveryId,
      );
      expect(misfits(fixture.payload)).toEqual([]);
    },
  );

  it('gives every delivery fresh ids: two builds are never one delivery', () => {
    for (const [, make] of every) {
      const [a, b] = [make(), make()];
      const key = (f: Fixture) => {
        const result = normalizeEnvelope(socketForm(f));
        return result.ok ? result.value.event.deliveryId : 'refused';
      };
      expect(key(a)).not.toBe(key(b));
    }
  });
});

describe('click, expectEphemeralAck, expectApiCall', () => {
  const router = new Router()
    .on('command', '/orgstatus', () => [
      ack.message({
        text: 'Acme Corp',
        blocks: [
          {
            type: 'actions',
            block_id: 'status',
            elements: [
              {
                type: 'button',
                action_id: 'refresh',
                value: 'acme',
                text: { type: 'plain_text', text: 'Refresh' },
              },
            ],
          },
        ],
      }),
    ])
    .on(
      'block_action',
      'refresh',
      (event) => [
        api('chat.postEphemeral', {
          channel: event.channelId ?? '',
          user: event.userId ?? '',
          text: `again: ${event.payload.actions[0]?.value}`,
        }),
      ],
      { calls: ['chat.postEphemeral'] },
    );

  it('turns a button in a command ack into the click Slack sends, from the same user and channel', async () => {
    const answer = await runHandler(
      router,
      build.command('/orgstatus', { channel: 'C0CHAN002' }),
      testContext(),
    );
    expect(expectEphemeralAck(answer, /Acme/).text).toBe('Acme Corp');
    const clicked = await runHandler(router, click(answer, 'refresh'), testContext());
    expect(clicked.event).toMatchObject({
      kind: 'block_action',
      name: 'refresh',
      channelId: 'C0CHAN002',
      userId: 'U0USER001',
    });
    expectApiCall(clicked, 'chat.postEphemeral', { channel: 'C0CHAN002', text: 'again: acme' });
  });

  it('finds a button in a message a handler posts', async () => {
    const mention = await runHandler(createRoutes(), build.mention('which org?'), testContext());
    const clicked = await runHandler(createRoutes(), click(mention, 'link_channel'), testContext());
    expect(expectApiCall(clicked, 'views.open').args.view.callback_id).toBe('link_channel');
  });

  it('finds an element in a view a handler opens, and the click carries the view', async () => {
    const mention = await runHandler(createRoutes(), build.mention('which org?'), testContext());
    const opened = await runHandler(createRoutes(), click(mention, 'link_channel'), testContext());
    const picked = click(opened, 'org_picker');
    expect(picked.payload).toMatchObject({
      container: { type: 'view' },
      view: { callback_id: 'link_channel' },
    });
  });

  it('says which action ids there are when the one asked for is not there', async () => {
    const answer = await runHandler(router, build.command('/orgstatus'), testContext());
    expect(() => click(answer, 'nope')).toThrow(
      'click: no element with action_id nope in the answer (it has refresh (the ack))',
    );
  });

  it('says what the answer has when an expectation fails', async () => {
    const answer = await runHandler(createRoutes(), build.command('/link', { text: 'acme' }), testContext());
    expect(() => expectEphemeralAck(answer)).toThrow('expected an ephemeral ack, got one in_channel');
    expect(() => expectApiCall(answer, 'chat.postMessage')).toThrow(
      'expected a chat.postMessage call with undefined; the answer has no Web API calls',
    );
  });
});
