import { api } from '../../core/action.js';
import type { BlockActionEvent } from '../../core/event.js';
import { linkModal } from '../blocks.js';
import type { AppAction, AppHandler } from '../types.js';

/** The "Link this channel" button: opens the modal with the organization picker. */
export const actionLinkChannel: AppHandler<BlockActionEvent> = (event): AppAction[] => {
  const channelId = event.payload.actions[0]?.value ?? event.channelId;
  if (!channelId) return [];
  return [api('views.open', { trigger_id: event.payload.trigger_id, view: linkModal(channelId) })];
};
