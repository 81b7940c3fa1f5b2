import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { scriptedModel } from '../../ai/scripted-model.js';
import type { Settings } from '../settings.js';

/** The answer the scripted model gives, so a first run shows the whole flow and says what is missing. */
export function scriptedAnswer(slug: string | null, toolOutput: unknown): string {
  const summary =
    toolOutput && typeof toolOutput === 'object' && 'summary' in toolOutput
      ? String(toolOutput.summary)
      : null;
  const intro =
    'No model is set (MODEL_BASE_URL and MODEL_NAME), so a scripted model answers: it reads the product, ' +
    'as a real model would, and says what it found.';
  if (slug && summary) return `${intro}\n\n*${slug}*: ${summary}`;
  if (slug)
    return `${intro}\n\nI could not read *${slug}* from the product: ${String(toolOutput ?? 'no answer')}.`;
  return `${intro}\n\nAsk about an organization by its slug, e.g. _What is acme up to?_`;
}

/**
 * The model answers come from: any OpenAI-compatible endpoint from the settings, else the scripted
 * model (it calls the same tool, then streams a known answer at `scriptDelayMs` per piece).
 */
export function answerModel(
  settings: Settings,
  slug: string | null,
): { model: LanguageModel; scripted: boolean } {
  const { model } = settings;
  if (model) {
    const provider = createOpenAICompatible({
      name: 'model',
      baseURL: model.baseUrl,
      apiKey: model.apiKey ?? undefined,
    });
    return { model: provider.chatModel(model.name), scripted: false };
  }
  return {
    scripted: true,
    model: scriptedModel({
      ...(slug ? { tool: { name: 'orgSummary', input: { slug } } } : {}),
      answer: (output) => scriptedAnswer(slug, output),
      chunkDelayMs: settings.scriptDelayMs,
    }),
  };
}
