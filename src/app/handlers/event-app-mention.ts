import { api } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import { notLinkedBlocks, orgLink } from '../blocks.js';
import type { AppHandler } from '../types.js';
import { STEPS } from './step-org-summary.js';

/**
 * `@bot` in a channel: says which organization it is linked to, or how to link it. Replies in the
 * thread. With the product's API (PRODUCT_API_URL) the reply says "Looking up…" at once and the
 * steps after it (step-org-summary.ts) update it with the organization's summary.
 */
export const eventAppMention = (async (event, { lookups, settings }) => {
  const { channel, ts } = event.payload;
  const threadTs = event.payload.thread_ts ?? ts;
  const org = event.teamId ? await lookups.organizationForChannel(event.teamId, channel) : null;
  if (org && settings.productApi) {
    return [
      api('chat.postMessage', {
        channel,
        thread_ts: threadTs,
        text: `Looking up ${orgLink(settings.appUrl, org)}…`,
      }).then(STEPS.replyPosted, { slug: org.slug, name: org.name }),
    ];
  }
  if (org) {
    return [
      api('chat.postMessage', {
        channel,
        thread_ts: threadTs,
        text: `This channel is linked to ${orgLink(settings.appUrl, org)}.`,
      }),
    ];
  }
  return [
    api('chat.postMessage', {
      channel,
      thread_ts: threadTs,
      text: 'This channel is not linked to an organization yet. Type `/link <organization-slug>` to link it.',
      blocks: notLinkedBlocks(channel),
    }),
  ];
}) satisfies AppHandler<EventsApiEvent<'app_mention'>>;
