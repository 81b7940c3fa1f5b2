import { api } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import { homeView } from '../blocks.js';
import type { AppHandler } from '../types.js';

/** `app_home_opened` on the Home tab: publishes the workspace's linked channels. */
export const eventAppHomeOpened = (async (event, { lookups, settings }) => {
  // Slack also sends this event when the Messages tab is opened.
  if (event.payload.tab !== 'home' || !event.teamId) return [];
  const links = await lookups.linkedChannels(event.teamId);
  return [api('views.publish', { user_id: event.payload.user, view: homeView(settings.appUrl, links) })];
}) satisfies AppHandler<EventsApiEvent<'app_home_opened'>>;
