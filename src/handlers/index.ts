import type { Logger } from '../core/context.js';
import { Router } from '../core/router.js';
import { actionLinkChannel } from './action-link-channel.js';
import { IDS } from './blocks.js';
import { commandLink } from './command-link.js';
import { commandUnlink } from './command-unlink.js';
import { eventAppHomeOpened } from './event-app-home-opened.js';
import { eventAppMention } from './event-app-mention.js';
import { eventLinkShared } from './event-link-shared.js';
import { eventAppUninstalled, eventTokensRevoked } from './event-uninstalled.js';
import { optionsOrgPicker } from './options-org-picker.js';
import { viewLinkSubmit } from './view-link-submit.js';

/** The reference app's route table: every handler, and what triggers it. */
export function createAppRouter(logger?: Logger): Router {
  return new Router(logger)
    .on('command', '/link', commandLink)
    .on('command', '/unlink', commandUnlink)
    .on('event', 'app_mention', eventAppMention)
    .on('event', 'link_shared', eventLinkShared)
    .on('event', 'app_home_opened', eventAppHomeOpened)
    .on('event', 'app_uninstalled', eventAppUninstalled)
    .on('event', 'tokens_revoked', eventTokensRevoked)
    .on('block_action', IDS.linkButton, actionLinkChannel)
    .on('options', IDS.orgPicker, optionsOrgPicker)
    .on('view_submission', IDS.linkModal, viewLinkSubmit);
}
