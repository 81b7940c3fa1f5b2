import { api } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import { notLinkedBlocks, orgLink } from '../blocks.js';
import type { AppAction, AppHandler } from '../types.js';

/** `@bot` in a channel: says which organization it is linked to, or how to link it. Replies in the thread. */
export const eventAppMention: AppHandler<EventsApiEvent<'app_mention'>> = async (
  event,
  { lookups, settings },
): Promise<AppAction[]> => {
  const { channel, ts } = event.payload;
  const threadTs = event.payload.thread_ts ?? ts;
  const org = event.teamId ? await lookups.organizationForChannel(event.teamId, channel) : null;
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
};
