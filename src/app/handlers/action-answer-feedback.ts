import { api } from '../../core/action.js';
import type { BlockActionEvent } from '../../core/event.js';
import type { AppHandler } from '../types.js';

/** A feedback button under an answer: thanks the user, only to them. */
export const actionAnswerFeedback = ((event) => {
  const action = event.payload.actions[0];
  const user = event.userId;
  const channel = event.channelId;
  if (!user || !channel) return [];
  const text =
    action?.value === 'bad' ? 'Thanks: the team will look at this answer.' : 'Thanks for the feedback.';
  return [api('chat.postEphemeral', { channel, user, text })];
}) satisfies AppHandler<BlockActionEvent>;
