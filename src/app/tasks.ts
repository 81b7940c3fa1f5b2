import * as z from 'zod';
import { taskBuilder } from '../core/action.js';
import { defineTask } from '../core/conversation.js';
import { EffectError } from '../core/errors.js';
import type { Settings } from './settings.js';

const SummarySchema = z.object({ summary: z.string() });

/**
 * The reference app's tasks: its product's API, called after the ack by the executor (retried with
 * the outbox's policy; the idempotency key is the same on every try).
 */
export function appTasks(settings: Settings, fetcher: typeof fetch = (input, init) => fetch(input, init)) {
  return {
    /** An organization's one-line summary: `GET <PRODUCT_API_URL>/orgs/<slug>` → `{ summary }`. */
    orgSummary: defineTask({
      input: z.object({ slug: z.string().min(1) }),
      output: SummarySchema,
      async run({ slug }, { signal, idempotencyKey }) {
        if (!settings.productApi) throw new EffectError('PRODUCT_API_URL is not set', { retryable: false });
        const url = new URL(`orgs/${encodeURIComponent(slug)}`, settings.productApi);
        const response = await fetcher(url, { signal, headers: { 'idempotency-key': idempotencyKey } });
        if (!response.ok) {
          await response.body?.cancel();
          // 4xx will not change; 5xx and 429 may.
          const retryable = response.status >= 500 || response.status === 429;
          throw new EffectError(`the product API answered ${response.status}`, { retryable });
        }
        return SummarySchema.parse(await response.json());
      },
    }),
  };
}

/** `task('orgSummary', { slug })`, typed by the app's task table. */
export const task = taskBuilder<ReturnType<typeof appTasks>>();
