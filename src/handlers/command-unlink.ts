import { type Action, ack } from '../core/action.js';
import type { CommandEvent } from '../core/event.js';
import type { Handler } from '../core/router.js';
import { orgLink } from './blocks.js';

/** `/unlink`: removes the channel's link. */
export const commandUnlink: Handler<CommandEvent> = async (event, { lookups, config }): Promise<Action[]> => {
  const { team_id: teamId, channel_id: channelId, user_id: userId } = event.payload;
  const current = await lookups.organizationForChannel(teamId, channelId);
  if (!current) return [ack.message('This channel is not linked to an organization.')];
  return [
    ack.message({
      response_type: 'in_channel',
      text: `<@${userId}> unlinked this channel from ${orgLink(config.appUrl, current)}.`,
    }),
    { type: 'store', op: 'unlink_channel', teamId, channelId },
  ];
};
