import { uninstall } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import type { AppHandler } from '../types.js';

/** `app_uninstalled`: the workspace's installation and its tokens are deleted. */
export const eventAppUninstalled = ((event) => [uninstall(event)]) satisfies AppHandler<
  EventsApiEvent<'app_uninstalled'>
>;

/** `tokens_revoked`: when the bot token went, the installation goes too (we keep no user tokens). */
export const eventTokensRevoked = ((event) => {
  const bot = event.payload.tokens.bot ?? [];
  return bot.length > 0 ? [uninstall(event)] : [];
}) satisfies AppHandler<EventsApiEvent<'tokens_revoked'>>;
