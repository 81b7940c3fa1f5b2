import type { Logger } from '../core/context.js';
import { Router } from '../core/router.js';
import { IDS } from './blocks.js';
import { actionAnswerFeedback } from './handlers/action-answer-feedback.js';
import { actionLinkChannel } from './handlers/action-link-channel.js';
import { commandLink } from './handlers/command-link.js';
import { commandUnlink } from './handlers/command-unlink.js';
import { eventAgentSessionStopped } from './handlers/event-agent-session-stopped.js';
import { eventAppHomeOpened } from './handlers/event-app-home-opened.js';
import { eventAppMention } from './handlers/event-app-mention.js';
import { eventAssistantMessage } from './handlers/event-assistant-message.js';
import { eventAssistantThreadStarted } from './handlers/event-assistant-thread-started.js';
import { eventLinkShared } from './handlers/event-link-shared.js';
import { eventAppUninstalled, eventTokensRevoked } from './handlers/event-uninstalled.js';
import { optionsOrgPicker } from './handlers/options-org-picker.js';
import { STEPS, stepReplyPosted, stepSummaryFailed, stepSummaryReady } from './handlers/step-org-summary.js';
import { viewLinkSubmit } from './handlers/view-link-submit.js';
import type { LinkApp } from './types.js';

/**
 * The reference app's route table: every handler, what triggers it, and the Web API methods it may
 * call (`calls`: a handler returning another does not compile; `npm run manifest:check` asks the
 * manifest for their scopes).
 */
export function createRoutes(logger?: Logger): Router<LinkApp> {
  return (
    new Router<LinkApp>(logger)
      .on('command', '/link', commandLink)
      .on('command', '/unlink', commandUnlink)
      .on('event', 'app_mention', eventAppMention, { calls: ['chat.postMessage'] })
      .on('event', 'link_shared', eventLinkShared, { calls: ['chat.unfurl'] })
      .on('event', 'app_home_opened', eventAppHomeOpened, { calls: ['views.publish'] })
      .on('event', 'app_uninstalled', eventAppUninstalled)
      .on('event', 'tokens_revoked', eventTokensRevoked)
      .on('block_action', IDS.linkButton, actionLinkChannel, { calls: ['views.open'] })
      .on('options', IDS.orgPicker, optionsOrgPicker)
      .on('view_submission', IDS.linkModal, viewLinkSubmit, { calls: ['chat.postMessage'] })
      // Ask Org Linker: the assistant pane / agent view (src/app/agent).
      .on('event', 'assistant_thread_started', eventAssistantThreadStarted, {
        calls: ['assistant.threads.setSuggestedPrompts'],
      })
      .on('event', 'message', eventAssistantMessage, { calls: ['assistant.threads.setStatus'] })
      .on('event', 'agent_session_stopped', eventAgentSessionStopped)
      .on('block_action', IDS.answerFeedback, actionAnswerFeedback, { calls: ['chat.postEphemeral'] })
      .on('step', STEPS.replyPosted, stepReplyPosted)
      .on('step', STEPS.summaryReady, stepSummaryReady, { calls: ['chat.update'] })
      .on('step', STEPS.summaryFailed, stepSummaryFailed, { calls: ['chat.update'] })
  );
}
