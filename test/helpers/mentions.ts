export { freePort } from './ports.js';

import { slackHeaders } from '../../src/testing/signing.js';
import { httpForm } from './fixtures.js';
import { freshFixture } from './mutate.js';

/** The ts of mention `n` (its thread: the bot replies with `thread_ts` equal to it). */
export const mentionTs = (n: number) => `1764300000.${String(n).padStart(6, '0')}`;

/** One signed app_mention, `n`-th of a burst (fresh event id and ts), ready to POST. */
export async function mentionRequest(n: number): Promise<{ body: string; headers: Record<string, string> }> {
  const { body, contentType } = httpForm(freshFixture('event_app_mention', n));
  return { body, headers: await slackHeaders(body, contentType) };
}

/** What one POST of a burst got: its status and how long the answer took. */
export interface Answer {
  n: number;
  status: number;
  ms: number;
  /** When the answer came (performance.now()). */
  at: number;
}

/**
 * POSTs mentions `from`…`to - 1` to `url`, `concurrency` at a time, and returns each answer (status 0:
 * the connection failed).
 */
export async function sendMentions(
  url: string,
  range: { from: number; to: number },
  concurrency = 50,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = range.from;
  const worker = async () => {
    while (next < range.to) {
      const n = next++;
      const { body, headers } = await mentionRequest(n);
      const started = performance.now();
      const status = await fetch(url, { method: 'POST', body, headers }).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status;
        },
        () => 0,
      );
      const at = performance.now();
      answers.push({ n, status, ms: at - started, at });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers.sort((a, b) => a.n - b.n);
}
