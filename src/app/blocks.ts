import type { HomeView, KnownBlock, ModalView } from '@slack/types';
import type { ChannelLink, Organization } from './lookups.js';

/** The ids the reference app's views and buttons share with its route table. */
export const IDS = {
  linkButton: 'link_channel',
  linkModal: 'link_channel',
  orgBlock: 'org',
  orgPicker: 'org_picker',
  answerFeedback: 'answer_feedback',
} as const;

/** The feedback buttons under a complete answer (Slack's `context_actions` block). */
export function feedbackBlocks(): KnownBlock[] {
  return [
    {
      type: 'context_actions',
      elements: [
        {
          type: 'feedback_buttons',
          action_id: IDS.answerFeedback,
          positive_button: { text: { type: 'plain_text', text: 'Good answer' }, value: 'good' },
          negative_button: { text: { type: 'plain_text', text: 'Bad answer' }, value: 'bad' },
        },
      ],
    },
  ];
}

/** Escapes text for Slack mrkdwn: `&`, `<` and `>` are control characters there. */
export function mrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The product's page for an organization. */
export function orgUrl(appUrl: URL, org: Organization): string {
  return new URL(`orgs/${encodeURIComponent(org.slug)}`, withSlash(appUrl)).toString();
}

/** `appUrl` with a trailing slash, so relative paths resolve under it. */
export function withSlash(appUrl: URL): URL {
  return appUrl.pathname.endsWith('/') ? appUrl : new URL(`${appUrl.toString()}/`);
}

/** A mrkdwn reference to an organization: its name linked to its page. */
export function orgLink(appUrl: URL, org: Organization): string {
  return `<${orgUrl(appUrl, org)}|${mrkdwn(org.name)}>`;
}

/** The message shown in a channel nobody has linked yet: a button and the command. */
export function notLinkedBlocks(channelId: string): KnownBlock[] {
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: 'This channel is not linked to an organization yet. Link it with the button, or type `/link <organization-slug>`.',
      },
    },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: IDS.linkButton,
          text: { type: 'plain_text', text: 'Link this channel' },
          value: channelId,
          style: 'primary',
        },
      ],
    },
  ];
}

/** The modal that links a channel: one organization picker fed by block_suggestion. */
export function linkModal(channelId: string): ModalView {
  return {
    type: 'modal',
    callback_id: IDS.linkModal,
    private_metadata: JSON.stringify({ channelId }),
    title: { type: 'plain_text', text: 'Link this channel' },
    submit: { type: 'plain_text', text: 'Link' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: IDS.orgBlock,
        label: { type: 'plain_text', text: 'Organization' },
        element: {
          type: 'external_select',
          action_id: IDS.orgPicker,
          placeholder: { type: 'plain_text', text: 'Search organizations' },
          min_query_length: 0,
        },
      },
    ],
  };
}

/** The App Home tab: the workspace's linked channels. */
export function homeView(appUrl: URL, links: ChannelLink[]): HomeView {
  const list =
    links.length === 0
      ? 'No channel is linked yet. Type `/link <organization-slug>` in a channel to link it.'
      : links.map((link) => `• <#${link.channelId}> → ${orgLink(appUrl, link.organization)}`).join('\n');
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Linked channels' } },
      { type: 'section', text: { type: 'mrkdwn', text: list } },
    ],
  };
}
