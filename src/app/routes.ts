import type { Logger } from '../core/context.js';
import { Router } from '../core/router.js';
import { IDS } from './blocks.js';
import { actionLinkChannel } from './handlers/action-link-channel.js';
import { commandLink } from './handlers/command-link.js';
import { commandUnlink } from './handlers/command-unlink.js';
import { eventAppHomeOpened } from './handlers/event-app-home-opened.js';
import { eventAppMention } from './handlers/event-app-mention.js';
import { eventLinkShared } from './handlers/event-link-shared.js';
import { eventAppUninstalled, eventTokensRevoked } from './handlers/event-uninstalled.js';
import { optionsOrgPicker } from './handlers/options-org-picker.js';
import { STEPS, stepReplyPosted, stepSummaryFailed, stepSummaryReady } from './handlers/step-org-summary.js';
import { viewLinkSubmit } from './handlers/view-link-submit.js';
import type { LinkApp } from './types.js';

/** The reference app's route table: every handler, and what triggers it. */
export function createRoutes(logger?: Logger): Router<LinkApp> {
  return new Router<LinkApp>(logger)
    .on('command', '/link', commandLink)
    .on('command', '/unlink', commandUnlink)
    .on('event', 'app_mention', eventAppMention)
    .on('event', 'link_shared', eventLinkShared)
    .on('event', 'app_home_opened', eventAppHomeOpened)
    .on('event', 'app_uninstalled', eventAppUninstalled)
    .on('event', 'tokens_revoked', eventTokensRevoked)
    .on('block_action', IDS.linkButton, actionLinkChannel)
    .on('options', IDS.orgPicker, optionsOrgPicker)
    .on('view_submission', IDS.linkModal, viewLinkSubmit)
    .on('step', STEPS.replyPosted, stepReplyPosted)
    .on('step', STEPS.summaryReady, stepSummaryReady)
    .on('step', STEPS.summaryFailed, stepSummaryFailed);
}
