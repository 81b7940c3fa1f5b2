import type { TextStreamPart, ToolSet } from 'ai';
import type { StreamPart } from '../core/stream.js';

// The Vercel AI SDK's `streamText(...).fullStream` as the parts a stream task yields: text as it
// comes, and each tool call as a task in Slack's timeline (in progress, then complete or error).

/** What a tool call is shown as in the timeline: a title per tool, else its name. */
export type ToolTitles = Record<string, string>;

/**
 * The parts of a model's answer: text deltas, and task updates for its tool calls. A model error
 * is thrown (the stream effect is retried); an abort ends the parts (the stream effect stops).
 * @example yield* answerParts(streamText({ model, prompt, tools, abortSignal: signal }).fullStream)
 */
export async function* answerParts<TOOLS extends ToolSet>(
  fullStream: AsyncIterable<TextStreamPart<TOOLS>>,
  titles: ToolTitles = {},
): AsyncGenerator<StreamPart> {
  const title = (name: string) => titles[name] ?? name;
  for await (const part of fullStream) {
    switch (part.type) {
      case 'text-delta':
        if (part.text) yield part.text;
        break;
      case 'tool-call':
        yield {
          type: 'task_update',
          id: part.toolCallId,
          title: title(part.toolName),
          status: 'in_progress',
        };
        break;
      case 'tool-result':
        yield { type: 'task_update', id: part.toolCallId, title: title(part.toolName), status: 'complete' };
        break;
      case 'tool-error':
        yield {
          type: 'task_update',
          id: part.toolCallId,
          title: title(part.toolName),
          status: 'error',
          details: part.error instanceof Error ? part.error.message : String(part.error),
        };
        break;
      case 'error':
        throw part.error instanceof Error ? part.error : new Error(String(part.error));
      case 'abort':
        return;
      default:
        break; // reasoning, sources, step marks and the rest are not shown in Slack
    }
  }
}
