import * as z from 'zod';
import { api } from '../../core/action.js';
import type { StepEvent } from '../../core/event.js';
import { orgLink } from '../blocks.js';
import { task } from '../tasks.js';
import type { AppHandler } from '../types.js';

/** The steps of a mention in a linked channel, when the product's API is set. */
export const STEPS = {
  replyPosted: 'org-reply-posted',
  summaryReady: 'org-summary-ready',
  summaryFailed: 'org-summary-failed',
} as const;

const Org = z.object({ slug: z.string(), name: z.string() });
const Posted = z.object({ channel: z.string(), ts: z.string() });
const Message = Org.extend(Posted.shape);

/** "Looking up…" is posted: read the organization's summary from the product's API. */
export const stepReplyPosted = ((event) => {
  const org = Org.safeParse(event.payload.data);
  const posted = Posted.safeParse(event.payload.result);
  if (!org.success || !posted.success) return [];
  const message = { ...org.data, ...posted.data };
  return [
    task('orgSummary', { slug: org.data.slug })
      .then(STEPS.summaryReady, message)
      .catch(STEPS.summaryFailed, message),
  ];
}) satisfies AppHandler<StepEvent>;

/** The summary arrived: the reply becomes it. */
export const stepSummaryReady = ((event, { settings }) => {
  const message = Message.safeParse(event.payload.data);
  const summary = z.object({ summary: z.string() }).safeParse(event.payload.result);
  if (!message.success || !summary.success) return [];
  const { channel, ts } = message.data;
  const text = `This channel is linked to ${orgLink(settings.appUrl, message.data)}: ${summary.data.summary}`;
  return [api('chat.update', { channel, ts, text })];
}) satisfies AppHandler<StepEvent>;

/** The product's API failed for good: the reply says so, instead of "Looking up…" forever. */
export const stepSummaryFailed = ((event, { settings }) => {
  const message = Message.safeParse(event.payload.data);
  if (!message.success) return [];
  const { channel, ts } = message.data;
  const text = `This channel is linked to ${orgLink(settings.appUrl, message.data)}. Its summary could not be read (${event.payload.error ?? 'unknown error'}).`;
  return [api('chat.update', { channel, ts, text })];
}) satisfies AppHandler<StepEvent>;
