import { type Action, api } from '../core/action.js';
import type { EventsApiEvent } from '../core/event.js';
import type { Handler } from '../core/router.js';
import { homeView } from './blocks.js';

/** `app_home_opened` on the Home tab: publishes the workspace's linked channels. */
export const eventAppHomeOpened: Handler<EventsApiEvent<'app_home_opened'>> = async (
  event,
  { lookups, config },
): Promise<Action[]> => {
  // Slack also sends this event when the Messages tab is opened.
  if (event.payload.tab !== 'home' || !event.teamId) return [];
  const links = await lookups.linkedChannels(event.teamId);
  return [api('views.publish', { user_id: event.payload.user, view: homeView(config.appUrl, links) })];
};
