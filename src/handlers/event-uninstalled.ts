import type { Action } from '../core/action.js';
import type { DeliveryMeta, EventsApiEvent } from '../core/event.js';
import type { Handler } from '../core/router.js';

const forget = (event: DeliveryMeta): Action[] => [
  { type: 'store', op: 'delete_installation', teamId: event.teamId, enterpriseId: event.enterpriseId },
];

/** `app_uninstalled`: the workspace's installation and its tokens are deleted. */
export const eventAppUninstalled: Handler<EventsApiEvent<'app_uninstalled'>> = (event) => forget(event);

/** `tokens_revoked`: when the bot token went, the installation goes too (we keep no user tokens). */
export const eventTokensRevoked: Handler<EventsApiEvent<'tokens_revoked'>> = (event) =>
  (event.payload.tokens.bot?.length ?? 0) > 0 ? forget(event) : [];
