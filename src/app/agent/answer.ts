import { stepCountIs, streamText, tool } from 'ai';
import * as z from 'zod';
import { answerParts } from '../../ai/parts.js';
import { defineStream } from '../../core/stream.js';
import { readOrgSummary } from '../product.js';
import type { Settings } from '../settings.js';
import { answerModel } from './model.js';

const SYSTEM =
  'You are Org Linker, a Slack assistant for a product whose customers are organizations. ' +
  'Answer briefly in Slack markdown. To learn about an organization, call orgSummary with its slug.';

/**
 * "Ask Org Linker": the answer to a question in the assistant pane, streamed from the model, which
 * may read an organization from the product's API (its tool). Run by the executor after the ack.
 */
export function answerStream(settings: Settings, fetcher: typeof fetch) {
  return defineStream({
    input: z.object({ question: z.string().min(1), slug: z.string().nullable() }),
    async *run({ question, slug }, { signal, idempotencyKey }) {
      const { model } = answerModel(settings, slug);
      const result = streamText({
        model,
        system: SYSTEM,
        prompt: slug ? `${question}\n\n(The organization in question: ${slug})` : question,
        tools: {
          orgSummary: tool({
            description: "An organization's one-line summary from the product, by its slug.",
            inputSchema: z.object({ slug: z.string() }),
            execute: ({ slug: asked }, options) =>
              readOrgSummary(settings, asked, {
                signal: options.abortSignal ?? signal,
                idempotencyKey: `${idempotencyKey}:${asked}`,
                fetcher,
              }).catch((error: unknown) => ({
                error: error instanceof Error ? error.message : String(error),
              })),
          }),
        },
        stopWhen: stepCountIs(3),
        abortSignal: signal,
      });
      yield* answerParts(result.fullStream, { orgSummary: 'Reading the organization from the product' });
    },
  });
}
