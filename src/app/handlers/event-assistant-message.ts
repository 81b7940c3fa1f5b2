import { api } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import { feedbackBlocks } from '../blocks.js';
import type { Lookups } from '../lookups.js';
import { stream } from '../tasks.js';
import type { AppHandler } from '../types.js';

/** The first word of the question that is an organization's slug, if any (at most 8 looked up). */
async function slugIn(question: string, lookups: Lookups): Promise<string | null> {
  const words = [...new Set(question.toLowerCase().match(/[a-z0-9][a-z0-9-]{1,62}/g) ?? [])].slice(0, 8);
  for (const word of words) if (await lookups.organizationBySlug(word)) return word;
  return null;
}

/**
 * "Ask Org Linker": a question in the assistant's thread (a direct message to the app). The status
 * shows at once; the answer streams from the model after the ack, with feedback buttons at its end.
 * Messages from bots (the app's own answers) and edits are left alone.
 */
export const eventAssistantMessage = (async (event, { lookups }) => {
  const message = event.payload;
  const threadTs = message.thread_ts;
  if (message.channel_type !== 'im' || message.bot_id || message.subtype || !threadTs || !message.user)
    return [];
  const question = typeof message.text === 'string' ? message.text.trim() : '';
  if (!question) return [];
  const slug = await slugIn(question, lookups);
  return [
    api('assistant.threads.setStatus', {
      channel_id: message.channel,
      thread_ts: threadTs,
      status: slug ? `is reading ${slug}…` : 'is thinking…',
    }),
    stream(
      'answer',
      { question, slug },
      {
        channel: message.channel,
        thread_ts: threadTs,
        recipient_user_id: message.user,
        ...(event.teamId ? { recipient_team_id: event.teamId } : {}),
      },
      { blocks: feedbackBlocks() },
    ),
  ];
}) satisfies AppHandler<EventsApiEvent<'message'>>;
