import { describe, expect, it } from 'vitest';
import { notLinkedBlocks } from '../../src/app/blocks.js';
import { slugFromUrl } from '../../src/app/handlers/event-link-shared.js';
import { ACME, GLOBEX, MemoryLookups, testContext } from '../../src/app/testing.js';
import { routeFixture } from '../helpers/events.js';

const linked = () =>
  testContext(
    new MemoryLookups(
      [ACME, GLOBEX],
      [
        { teamId: 'T0001ACME', channelId: 'C0CHAN001', slug: 'acme' },
        { teamId: 'T0001ACME', channelId: 'C0CHAN002', slug: 'globex' },
        { teamId: 'T0OTHER01', channelId: 'C0CHAN009', slug: 'acme' },
      ],
    ),
  );

describe('app_mention', () => {
  it('names the organization of a linked channel, in the thread', async () => {
    expect((await routeFixture('event_app_mention', linked())).effects).toEqual([
      {
        type: 'api',
        method: 'chat.postMessage',
        args: {
          channel: 'C0CHAN001',
          thread_ts: '1764100000.000100',
          text: 'This channel is linked to <https://app.example.com/orgs/acme|Acme Corp>.',
        },
      },
    ]);
  });

  it('replies in the existing thread when mentioned inside one', async () => {
    const [post] = (await routeFixture('event_app_mention_in_thread', linked())).effects;
    expect(post?.type === 'api' && post.args).toMatchObject({ thread_ts: '1764100000.000100' });
  });

  it('says how to link an unlinked channel, with a button and the command', async () => {
    expect(await routeFixture('event_app_mention')).toEqual({
      ack: null,
      handler: 'event:app_mention',
      error: null,
      effects: [
        {
          type: 'api',
          method: 'chat.postMessage',
          args: {
            channel: 'C0CHAN001',
            thread_ts: '1764100000.000100',
            text: 'This channel is not linked to an organization yet. Type `/link <organization-slug>` to link it.',
            blocks: notLinkedBlocks('C0CHAN001'),
          },
        },
      ],
    });
    expect(notLinkedBlocks('C0CHAN001')[1]).toEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: 'link_channel',
          text: { type: 'plain_text', text: 'Link this channel' },
          value: 'C0CHAN001',
          style: 'primary',
        },
      ],
    });
  });
});

describe('link_shared', () => {
  it('unfurls links to known organizations under APP_URL and leaves the rest alone', async () => {
    const card = (slug: string, name: string) => ({
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `*<https://app.example.com/orgs/${slug}|${name}>*` },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `Organization \`${slug}\`` }] },
      ],
    });
    expect((await routeFixture('event_link_shared')).effects).toEqual([
      {
        type: 'api',
        method: 'chat.unfurl',
        args: {
          channel: 'C0CHAN001',
          ts: '1764100200.000400',
          unfurls: {
            'https://app.example.com/orgs/acme': card('acme', 'Acme Corp'),
            'https://app.example.com/orgs/globex/projects/7?tab=1': card('globex', 'Globex &amp; Sons'),
          },
        },
      },
    ]);
  });

  it('does nothing when no link is ours', async () => {
    const ctx = testContext(new MemoryLookups([]));
    expect((await routeFixture('event_link_shared', ctx)).effects).toEqual([]);
  });

  it.each([
    ['https://app.example.com/orgs/acme', 'https://app.example.com', 'acme'],
    ['https://app.example.com/orgs/ACME/x', 'https://app.example.com', 'acme'],
    ['https://app.example.com/base/orgs/acme', 'https://app.example.com/base', 'acme'],
    ['https://app.example.com/other/orgs/acme', 'https://app.example.com/base', null],
    ['https://app.example.com/orgs/', 'https://app.example.com', null],
    ['https://app.example.com:8443/orgs/acme', 'https://app.example.com', null],
    ['http://app.example.com/orgs/acme', 'https://app.example.com', null],
    ['not a url', 'https://app.example.com', null],
    ['https://app.example.com/orgs/%E0%A4%A', 'https://app.example.com', null],
  ])('finds the slug of %s under %s: %s', (url, appUrl, slug) => {
    expect(slugFromUrl(new URL(appUrl), url)).toBe(slug);
  });
});

describe('app_home_opened', () => {
  it('publishes the linked channels of the workspace', async () => {
    expect((await routeFixture('event_app_home_opened', linked())).effects).toEqual([
      {
        type: 'api',
        method: 'views.publish',
        args: {
          user_id: 'U0USER001',
          view: {
            type: 'home',
            blocks: [
              { type: 'header', text: { type: 'plain_text', text: 'Linked channels' } },
              {
                type: 'section',
                text: {
                  type: 'mrkdwn',
                  text: '• <#C0CHAN001> → <https://app.example.com/orgs/acme|Acme Corp>\n• <#C0CHAN002> → <https://app.example.com/orgs/globex|Globex &amp; Sons>',
                },
              },
            ],
          },
        },
      },
    ]);
  });

  it('says how to link a channel when none is', async () => {
    const [publish] = (await routeFixture('event_app_home_opened')).effects;
    expect(JSON.stringify(publish)).toContain('No channel is linked yet.');
  });

  it('ignores the Messages tab', async () => {
    expect((await routeFixture('event_app_home_opened_messages', linked())).effects).toEqual([]);
  });
});

describe('app_uninstalled and tokens_revoked', () => {
  const forget = [{ type: 'uninstall', teamId: 'T0001ACME', enterpriseId: null }];
  it('deletes the installation when the app is uninstalled', async () => {
    expect((await routeFixture('event_app_uninstalled')).effects).toEqual(forget);
  });
  it('deletes the installation when the bot token is revoked', async () => {
    expect((await routeFixture('event_tokens_revoked')).effects).toEqual(forget);
  });
  it('keeps it when only user tokens are revoked', async () => {
    expect((await routeFixture('event_tokens_revoked_user_only')).effects).toEqual([]);
  });
});
