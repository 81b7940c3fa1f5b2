import { describe, expect, it } from 'vitest';
import { linkModal } from '../../src/app/blocks.js';
import { createRoutes } from '../../src/app/routes.js';
import { testContext } from '../../src/app/testing.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { fixtureEvent, routeFixture } from '../helpers/events.js';

/** The view_submission fixture with other view metadata or state. */
function submission(view: Record<string, unknown>): NormalizedEvent {
  const event = fixtureEvent('view_submission_link');
  if (event.kind !== 'view_submission') throw new Error('not a view_submission');
  return { ...event, payload: { ...event.payload, view: { ...event.payload.view, ...view } } };
}

describe('the link modal', () => {
  it('opens from the "Link this channel" button', async () => {
    expect((await routeFixture('block_actions_link_channel')).effects).toEqual([
      {
        type: 'api',
        method: 'views.open',
        args: { trigger_id: '1000.3000.faketrigger06', view: linkModal('C0CHAN001') },
      },
    ]);
    expect(linkModal('C0CHAN001')).toMatchObject({
      callback_id: 'link_channel',
      private_metadata: '{"channelId":"C0CHAN001"}',
      blocks: [
        { type: 'input', block_id: 'org', element: { type: 'external_select', action_id: 'org_picker' } },
      ],
    });
  });

  it('offers the organizations matching what was typed', async () => {
    expect((await routeFixture('block_suggestion_org_picker')).ack).toEqual({
      options: [{ text: { type: 'plain_text', text: 'Acme Corp (acme)' }, value: 'acme' }],
    });
  });

  it('links the channel and closes on a known organization', async () => {
    expect(await routeFixture('view_submission_link')).toEqual({
      ack: null,
      handler: 'view_submission:link_channel',
      error: null,
      effects: [
        {
          type: 'store',
          op: 'link_channel',
          teamId: 'T0001ACME',
          channelId: 'C0CHAN001',
          organizationSlug: 'acme',
          linkedBy: 'U0USER001',
        },
        {
          type: 'api',
          method: 'chat.postMessage',
          args: {
            channel: 'C0CHAN001',
            text: '<@U0USER001> linked this channel to <https://app.example.com/orgs/acme|Acme Corp>.',
          },
        },
      ],
    });
  });

  it('stays open with an error under the picker on an unknown organization', async () => {
    const routed = await routeFixture('view_submission_link_unknown');
    expect([routed.ack, routed.effects]).toEqual([
      { response_action: 'errors', errors: { org: 'There is no organization with the slug "gone".' } },
      [],
    ]);
  });

  it('asks for a pick when nothing was selected', async () => {
    const routed = await createRoutes().dispatch(submission({ state: { values: {} } }), testContext());
    expect(routed.ack).toEqual({ response_action: 'errors', errors: { org: 'Pick an organization.' } });
  });

  it('refuses a form whose metadata is not ours', async () => {
    const routed = await createRoutes().dispatch(submission({ private_metadata: 'garbage' }), testContext());
    expect(routed.ack).toEqual({
      response_action: 'errors',
      errors: { org: 'This form is out of date: close it and use the button again.' },
    });
  });

  it('acks a closed modal and does nothing', async () => {
    expect(await routeFixture('view_closed_link')).toEqual({
      ack: null,
      effects: [],
      handler: null,
      error: null,
    });
  });
});
