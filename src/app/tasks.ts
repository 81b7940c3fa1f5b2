import * as z from 'zod';
import { taskBuilder } from '../core/action.js';
import { defineTask } from '../core/conversation.js';
import { streamBuilder } from '../core/stream.js';
import { answerStream } from './agent/answer.js';
import { readOrgSummary, SummarySchema } from './product.js';
import type { Settings } from './settings.js';

/**
 * The reference app's tasks: its product's API and the assistant's answer, run after the ack by the
 * executor (retried with the outbox's policy; the idempotency key is the same on every try).
 */
export function appTasks(settings: Settings, fetcher: typeof fetch = (input, init) => fetch(input, init)) {
  return {
    /** An organization's one-line summary from the product. */
    orgSummary: defineTask({
      input: z.object({ slug: z.string().min(1) }),
      output: SummarySchema,
      run: ({ slug }, { signal, idempotencyKey }) =>
        readOrgSummary(settings, slug, { signal, idempotencyKey, fetcher }),
    }),
    /** The assistant's answer to a question, streamed (src/app/agent). */
    answer: answerStream(settings, fetcher),
  };
}

/** `task('orgSummary', { slug })`, typed by the app's task table. */
export const task = taskBuilder<ReturnType<typeof appTasks>>();
/** `stream('answer', { question, slug }, to)`, typed by the app's task table. */
export const stream = streamBuilder<ReturnType<typeof appTasks>>();
