import { api } from '../../core/action.js';
import type { BlockActionEvent } from '../../core/event.js';
import { linkModal } from '../blocks.js';
import type { AppHandler } from '../types.js';

/** The "Link this channel" button: opens the modal with the organization picker. */
export const actionLinkChannel = ((event) => {
  const channelId = event.payload.actions[0]?.value ?? event.channelId;
  // A button on a workflow's message carries no trigger_id, so no modal can open from it.
  const triggerId = event.payload.trigger_id;
  if (!channelId || !triggerId) return [];
  return [api('views.open', { trigger_id: triggerId, view: linkModal(channelId) })];
}) satisfies AppHandler<BlockActionEvent>;
