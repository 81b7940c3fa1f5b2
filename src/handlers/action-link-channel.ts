import { type Action, api } from '../core/action.js';
import type { BlockActionEvent } from '../core/event.js';
import type { Handler } from '../core/router.js';
import { linkModal } from './blocks.js';

/** The "Link this channel" button: opens the modal with the organization picker. */
export const actionLinkChannel: Handler<BlockActionEvent> = (event): Action[] => {
  const channelId = event.payload.actions[0]?.value ?? event.channelId;
  if (!channelId) return [];
  return [api('views.open', { trigger_id: event.payload.trigger_id, view: linkModal(channelId) })];
};
