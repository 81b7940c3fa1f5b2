import { ack } from '../../core/action.js';
import type { CommandEvent } from '../../core/event.js';
import { mrkdwn, orgLink } from '../blocks.js';
import type { AppHandler } from '../types.js';
import { write } from '../writes.js';

/** `/link <org-slug>`: links the channel to an organization. */
export const commandLink = (async (event, { lookups, settings }) => {
  const { team_id: teamId, channel_id: channelId, user_id: userId } = event.payload;
  const slug = event.payload.text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (slug === '') return [ack.message('Usage: `/link <organization-slug>`')];
  const org = await lookups.organizationBySlug(slug);
  if (!org) return [ack.message(`There is no organization with the slug \`${mrkdwn(slug)}\`.`)];
  const current = await lookups.organizationForChannel(teamId, channelId);
  if (current?.slug === org.slug) {
    return [ack.message(`This channel is already linked to ${orgLink(settings.appUrl, org)}.`)];
  }
  return [
    ack.message({
      response_type: 'in_channel',
      text: `<@${userId}> linked this channel to ${orgLink(settings.appUrl, org)}.`,
    }),
    write.link({ teamId, channelId, organizationSlug: org.slug, linkedBy: userId }),
  ];
}) satisfies AppHandler<CommandEvent>;
