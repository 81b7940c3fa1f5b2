import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV4, simulateReadableStream } from 'ai/test';

// A model that streams a known answer, for tests, dry runs, `npm run trigger` and a first run with
// no model configured: the AI SDK's own mock model, fed a script. It may call one tool first (the
// SDK runs the tool and asks again), so the whole flow (tool, timeline, answer) runs offline.

/** What the scripted model does: call a tool first (optional), then answer `text`. */
export interface Script {
  /** Called before answering; the answer may use its output (`answer(output)`). */
  tool?: { name: string; input: Record<string, unknown> };
  /** The answer, given the tool's output (or undefined without a tool). */
  answer: (toolOutput: unknown) => string;
  /** Pause between two pieces of the answer, like a model's tokens (default 15 ms). */
  chunkDelayMs?: number;
  /** Characters per piece (default 12, about three tokens). */
  chunkChars?: number;
}

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

/** `text` in pieces of about `size` characters, cut after spaces where it can be. */
export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const space = rest.lastIndexOf(' ', size);
    const cut = space > 0 ? space + 1 : size;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}

/** The tool output the SDK sent back in the prompt, if any. */
function toolOutputOf(prompt: unknown): unknown {
  if (!Array.isArray(prompt)) return undefined;
  for (const message of [...prompt].reverse()) {
    if (message?.role !== 'tool' || !Array.isArray(message.content)) continue;
    for (const part of message.content) {
      const output = part?.type === 'tool-result' ? part.output : undefined;
      if (output && typeof output === 'object' && 'value' in output) return output.value;
    }
  }
  return undefined;
}

/** A language model (AI SDK v4 spec) that plays `script`. */
export function scriptedModel(script: Script): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    provider: 'scripted',
    modelId: 'scripted',
    async doStream(options) {
      const calledTool = Array.isArray(options.prompt) && options.prompt.some((m) => m.role === 'tool');
      const chunks: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if (script.tool && !calledTool) {
        chunks.push(
          {
            type: 'tool-call',
            toolCallId: 'call-1',
            toolName: script.tool.name,
            input: JSON.stringify(script.tool.input),
          },
          { type: 'finish', usage, finishReason: { unified: 'tool-calls', raw: undefined } },
        );
      } else {
        const text = script.answer(calledTool ? toolOutputOf(options.prompt) : undefined);
        chunks.push({ type: 'text-start', id: 'text-1' });
        for (const delta of pieces(text, script.chunkChars ?? 12))
          chunks.push({ type: 'text-delta', id: 'text-1', delta });
        chunks.push(
          { type: 'text-end', id: 'text-1' },
          { type: 'finish', usage, finishReason: { unified: 'stop', raw: undefined } },
        );
      }
      return {
        stream: simulateReadableStream({
          chunks,
          initialDelayInMs: null,
          chunkDelayInMs: script.chunkDelayMs ?? 15,
        }),
      };
    },
  });
}
