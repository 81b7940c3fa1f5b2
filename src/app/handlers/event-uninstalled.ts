import { uninstall } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import type { AppHandler } from '../types.js';

/** `app_uninstalled`: the workspace's installation and its tokens are deleted. */
export const eventAppUninstalled: AppHandler<EventsApiEvent<'app_uninstalled'>> = (event) => [
  uninstall(event),
];

/** `tokens_revoked`: when the bot token went, the installation goes too (we keep no user tokens). */
export const eventTokensRevoked: AppHandler<EventsApiEvent<'tokens_revoked'>> = (event) =>
  (event.payload.tokens.bot?.length ?? 0) > 0 ? [uninstall(event)] : [];
