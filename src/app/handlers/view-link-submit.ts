import * as z from 'zod';
import { ack, api } from '../../core/action.js';
import type { ViewSubmissionEvent } from '../../core/event.js';
import { IDS, mrkdwn, orgLink } from '../blocks.js';
import type { AppHandler } from '../types.js';
import { write } from '../writes.js';

const Metadata = z.object({ channelId: z.string().min(1) });
const Picked = z.looseObject({ selected_option: z.looseObject({ value: z.string() }).nullish() });

function parseMetadata(text: string | undefined) {
  try {
    return Metadata.safeParse(JSON.parse(text ?? ''));
  } catch {
    return Metadata.safeParse(undefined);
  }
}

/** The link modal's submission: an unknown organization keeps it open with an error; a good one links and closes it. */
export const viewLinkSubmit = (async (event, { lookups, settings }) => {
  const { view } = event.payload;
  const metadata = parseMetadata(view.private_metadata);
  if (!metadata.success || !event.teamId) {
    return [ack.errors({ [IDS.orgBlock]: 'This form is out of date: close it and use the button again.' })];
  }
  const picked = Picked.safeParse(view.state?.values?.[IDS.orgBlock]?.[IDS.orgPicker]);
  const slug = picked.success ? picked.data.selected_option?.value : undefined;
  if (!slug) return [ack.errors({ [IDS.orgBlock]: 'Pick an organization.' })];
  const org = await lookups.organizationBySlug(slug);
  if (!org)
    return [ack.errors({ [IDS.orgBlock]: `There is no organization with the slug "${mrkdwn(slug)}".` })];
  const { channelId } = metadata.data;
  return [
    // No ack body: Slack closes the modal.
    write.link({
      teamId: event.teamId,
      channelId,
      organizationSlug: org.slug,
      linkedBy: event.payload.user.id,
    }),
    api('chat.postMessage', {
      channel: channelId,
      text: `<@${event.payload.user.id}> linked this channel to ${orgLink(settings.appUrl, org)}.`,
    }),
  ];
}) satisfies AppHandler<ViewSubmissionEvent>;
