import type { LinkUnfurls } from '@slack/types';
import { type Action, api } from '../core/action.js';
import type { EventsApiEvent } from '../core/event.js';
import type { Handler } from '../core/router.js';
import { mrkdwn, orgUrl, withSlash } from './blocks.js';

/** The organization slug in a URL under `appUrl` (`/orgs/<slug>` and anything below it), or null. */
export function slugFromUrl(appUrl: URL, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const base = withSlash(appUrl);
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(base.pathname)) return null;
  const match = /^orgs\/([^/?#]+)/.exec(parsed.pathname.slice(base.pathname.length));
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]).toLowerCase();
  } catch {
    return null;
  }
}

/** `link_shared`: a card per link to an organization of ours; links to other hosts are left alone. */
export const eventLinkShared: Handler<EventsApiEvent<'link_shared'>> = async (
  event,
  { lookups, config },
): Promise<Action[]> => {
  const unfurls: LinkUnfurls = {};
  for (const { url } of event.payload.links) {
    const slug = slugFromUrl(config.appUrl, url);
    if (!slug) continue;
    const org = await lookups.organizationBySlug(slug);
    if (!org) continue;
    unfurls[url] = {
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `*<${orgUrl(config.appUrl, org)}|${mrkdwn(org.name)}>*` },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `Organization \`${mrkdwn(org.slug)}\`` }] },
      ],
    };
  }
  if (Object.keys(unfurls).length === 0) return [];
  return [api('chat.unfurl', { channel: event.payload.channel, ts: event.payload.message_ts, unfurls })];
};
