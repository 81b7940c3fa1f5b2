import { api } from '../../core/action.js';
import type { EventsApiEvent } from '../../core/event.js';
import type { AppHandler } from '../types.js';

/**
 * The user opened the assistant (pane or agent view): suggested prompts for the organization linked
 * to the channel they are looking at, and a general one.
 */
export const eventAssistantThreadStarted = (async (event, { lookups }) => {
  const thread = event.payload.assistant_thread;
  const context = thread.context.channel_id;
  const org = event.teamId && context ? await lookups.organizationForChannel(event.teamId, context) : null;
  const prompts = [
    ...(org ? [{ title: `About ${org.name}`, message: `What is ${org.slug} up to?` }] : []),
    { title: 'What can you do?', message: 'What can you do?' },
  ];
  return [
    api('assistant.threads.setSuggestedPrompts', {
      channel_id: thread.channel_id,
      thread_ts: thread.thread_ts,
      title: org ? `Ask about ${org.name}` : 'Ask Org Linker',
      prompts: prompts as [(typeof prompts)[number], ...(typeof prompts)[number][]],
    }),
  ];
}) satisfies AppHandler<EventsApiEvent<'assistant_thread_started'>>;
