import type { LinkUnfurls } from '@slack/types';
import { api } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import { mrkdwn, orgUrl, withSlash } from '../blocks.js';
import type { AppHandler } from '../types.js';

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
export const eventLinkShared = (async (event, { lookups, settings }) => {
  const unfurls: LinkUnfurls = {};
  for (const { url } of event.payload.links) {
    const slug = slugFromUrl(settings.appUrl, url);
    if (!slug) continue;
    const org = await lookups.organizationBySlug(slug);
    if (!org) continue;
    unfurls[url] = {
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `*<${orgUrl(settings.appUrl, org)}|${mrkdwn(org.name)}>*` },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `Organization \`${mrkdwn(org.slug)}\`` }] },
      ],
    };
  }
  if (Object.keys(unfurls).length === 0) return [];
  return [api('chat.unfurl', { channel: event.payload.channel, ts: event.payload.message_ts, unfurls })];
}) satisfies AppHandler<EventsApiEvent<'link_shared'>>;
