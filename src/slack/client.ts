import {
  type FetchFunction,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import * as z from 'zod';
import type { ApiMethod } from '../core/action.js';

export interface SlackClientOptions {
  /** `SLACK_API_URL`, ending in a slash. */
  slackApiUrl: string;
  /** A `fetch`: keep-alive on Node, the workerd wrapper on Workers. */
  fetch?: FetchFunction;
  /** Inline retries of 5xx and network errors (rate limits are handled by the runner). */
  retries?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/**
 * WebClient on workerd: it asks for `redirect: 'error'`, which workerd refuses, and calls fetch
 * unbound. https://github.com/slackapi/node-slack-sdk
 */
export const workerdFetch: FetchFunction = (input, init) => fetch(input, { ...init, redirect: 'manual' });

/** The part of a Web API answer the runner reads. https://api.slack.com/web#responses */
const ReplySchema = z.looseObject({ ok: z.boolean(), error: z.string().optional() });

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The Web API calls effects make: one JSON POST with the bearer token, failures thrown as
 * @slack/web-api's own error classes. Not WebClient on this path: its queue, retry wrapper and form
 * encoding cost more CPU per call than the call itself on Node, for work the outbox already does
 * (retries with backoff, concurrency). OAuth and the manifest tools use WebClient.
 */
export class SlackClients {
  readonly #fetch: FetchFunction;
  /** Only Node's global fetch needs a signal for the timeout: keepAliveFetch has its own, workerd its limits. */
  readonly #signal: () => AbortSignal | undefined;

  constructor(private readonly options: SlackClientOptions) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#signal = options.fetch ? () => undefined : () => AbortSignal.timeout(options.timeoutMs ?? 10_000);
  }

  /** Calls `method` with `args` (typed by the handler that built them) as `token`. Throws WebAPI* errors. */
  async call(token: string, method: ApiMethod, args: object): Promise<void> {
    const retries = this.options.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(token, method, args);
      } catch (error) {
        const transient =
          error instanceof WebAPIRequestError ||
          (error instanceof WebAPIHTTPError && error.statusCode >= 500);
        if (!transient || attempt >= retries) throw error;
        await pause(200 * 2 ** attempt);
      }
    }
  }

  async #once(token: string, method: ApiMethod, args: object): Promise<void> {
    let response: Awaited<ReturnType<FetchFunction>>;
    try {
      response = await this.#fetch(`${this.options.slackApiUrl}${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
        body: JSON.stringify(args),
        signal: this.#signal(),
      });
    } catch (cause) {
      throw new WebAPIRequestError(cause instanceof Error ? cause : new Error(String(cause)));
    }
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new WebAPIRateLimitedError(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1);
    }
    const text = await response.text();
    if (response.status !== 200) {
      throw new WebAPIHTTPError(response.status, response.statusText, {}, text.slice(0, 200));
    }
    let reply: z.infer<typeof ReplySchema>;
    try {
      reply = ReplySchema.parse(JSON.parse(text));
    } catch {
      throw new WebAPIHTTPError(response.status, 'not a Web API answer', {}, text.slice(0, 200));
    }
    if (!reply.ok) throw new WebAPIPlatformError({ ...reply, error: reply.error ?? 'unknown_error' });
  }
}
