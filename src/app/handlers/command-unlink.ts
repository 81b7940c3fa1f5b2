import { ack } from '../../core/action.js';
import type { CommandEvent } from '../../core/event.js';
import { orgLink } from '../blocks.js';
import type { AppHandler } from '../types.js';
import { write } from '../writes.js';

/** `/unlink`: removes the channel's link. */
export const commandUnlink = (async (event, { lookups, settings }) => {
  const { team_id: teamId, channel_id: channelId, user_id: userId } = event.payload;
  const current = await lookups.organizationForChannel(teamId, channelId);
  if (!current) return [ack.message('This channel is not linked to an organization.')];
  return [
    ack.message({
      response_type: 'in_channel',
      text: `<@${userId}> unlinked this channel from ${orgLink(settings.appUrl, current)}.`,
    }),
    write.unlink(teamId, channelId),
  ];
}) satisfies AppHandler<CommandEvent>;
