import { describe, expect, it } from 'vitest';
import { ACME, MemoryLookups, testContext } from '../../src/app/testing.js';
import { routeFixture } from '../helpers/events.js';

const linked = () =>
  testContext(new MemoryLookups([ACME], [{ teamId: 'T0001ACME', channelId: 'C0CHAN001', slug: 'acme' }]));

describe('/link', () => {
  it('links the channel and names the organization in the ack', async () => {
    expect(await routeFixture('command_link')).toEqual({
      ack: {
        response_type: 'in_channel',
        text: '<@U0USER001> linked this channel to <https://app.example.com/orgs/acme|Acme Corp>.',
      },
      effects: [
        {
          type: 'store',
          op: 'link_channel',
          teamId: 'T0001ACME',
          channelId: 'C0CHAN001',
          organizationSlug: 'acme',
          linkedBy: 'U0USER001',
        },
      ],
      handler: 'command:/link',
      error: null,
    });
  });

  it('answers an unknown slug with an ephemeral error naming it', async () => {
    const routed = await routeFixture('command_link_unknown');
    expect([routed.ack, routed.effects]).toEqual([
      { response_type: 'ephemeral', text: 'There is no organization with the slug `nobody`.' },
      [],
    ]);
  });

  it('explains its usage when no slug is given', async () => {
    const routed = await routeFixture('command_link_empty');
    expect([routed.ack, routed.effects]).toEqual([
      { response_type: 'ephemeral', text: 'Usage: `/link <organization-slug>`' },
      [],
    ]);
  });

  it('does nothing for a channel already linked to that organization', async () => {
    const routed = await routeFixture('command_link', linked());
    expect([routed.ack, routed.effects]).toEqual([
      {
        response_type: 'ephemeral',
        text: 'This channel is already linked to <https://app.example.com/orgs/acme|Acme Corp>.',
      },
      [],
    ]);
  });
});

describe('/unlink', () => {
  it('removes the link of a linked channel', async () => {
    const routed = await routeFixture('command_unlink', linked());
    expect([routed.ack, routed.effects]).toEqual([
      {
        response_type: 'in_channel',
        text: '<@U0USER001> unlinked this channel from <https://app.example.com/orgs/acme|Acme Corp>.',
      },
      [{ type: 'store', op: 'unlink_channel', teamId: 'T0001ACME', channelId: 'C0CHAN001' }],
    ]);
  });

  it('says so when the channel is not linked', async () => {
    const routed = await routeFixture('command_unlink');
    expect([routed.ack, routed.effects]).toEqual([
      { response_type: 'ephemeral', text: 'This channel is not linked to an organization.' },
      [],
    ]);
  });
});

describe('a command nobody handles', () => {
  it('is acked empty and ignored', async () => {
    expect(await routeFixture('command_other')).toEqual({
      ack: null,
      effects: [],
      handler: null,
      error: null,
    });
  });
});
