import {
  type FetchFunction,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
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

/**
 * The Web API answer in `text` (`ok`, and `error` when not ok), or null when it is not one.
 * https://api.slack.com/web#responses. Not zod: this runs once per effect on the hot path.
 */
function replyOf(text: string): { ok: boolean; error: string | undefined; fields: object } | null {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof reply !== 'object' || reply === null || !('ok' in reply) || typeof reply.ok !== 'boolean')
    return null;
  const error = 'error' in reply ? reply.error : undefined;
  if (error !== undefined && typeof error !== 'string') return null;
  return { ok: reply.ok, error, fields: reply };
}

/**
 * Whether Slack reads `method`'s arguments from a JSON body: its write methods do (chat, views,
 * assistant, functions, …); the others (reads such as conversations.info, users.info) take a form.
 * https://docs.slack.dev/apis/web-api/#posting_json
 */
const JSON_METHOD =
  /^(chat|views|assistant|functions|dialog|bookmarks|canvases|reactions|pins|calls|workflows)\./;
const acceptsJson = (method: string) => JSON_METHOD.test(method);

/** A form body as WebClient sends one: strings as they are, everything else as JSON. */
function formOf(args: object): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return form.toString();
}

/** Tokens whose request headers are kept; past it they are built again. */
const MAX_TOKENS = 1_000;

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
  readonly #retries: number;
  /** Each method's URL and each token's headers, built once: the same string also finds keepAliveFetch's parsed URL at once. */
  readonly #urls = new Map<string, string>();
  readonly #headers = new Map<string, Record<string, string>>();

  constructor(private readonly options: SlackClientOptions) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#signal = options.fetch ? () => undefined : () => AbortSignal.timeout(options.timeoutMs ?? 10_000);
    this.#retries = options.retries ?? 2;
  }

  /** Calls `method` with `args` (typed by the handler that built them) as `token`; answers Slack's reply. Throws WebAPI* errors. */
  async call(token: string, method: ApiMethod, args: object): Promise<object> {
    const url = this.#urlOf(method);
    const init = acceptsJson(method)
      ? { method: 'POST', headers: this.#headersOf(token), body: JSON.stringify(args) }
      : { method: 'POST', headers: this.#formHeadersOf(token), body: formOf(args) };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(url, init);
      } catch (error) {
        const transient =
          error instanceof WebAPIRequestError ||
          (error instanceof WebAPIHTTPError && error.statusCode >= 500);
        if (!transient || attempt >= this.#retries) throw error;
        await pause(200 * 2 ** attempt);
      }
    }
  }

  async #once(url: string, init: { method: string; headers: Record<string, string>; body: string }) {
    let response: Awaited<ReturnType<FetchFunction>>;
    try {
      const signal = this.#signal();
      response = await this.#fetch(url, signal ? { ...init, signal } : init);
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
    const reply = replyOf(text);
    if (!reply) throw new WebAPIHTTPError(response.status, 'not a Web API answer', {}, text.slice(0, 200));
    if (!reply.ok) {
      throw new WebAPIPlatformError({ ...reply.fields, ok: false, error: reply.error ?? 'unknown_error' });
    }
    return reply.fields;
  }

  #urlOf(method: string): string {
    let url = this.#urls.get(method);
    if (url === undefined) {
      url = `${this.options.slackApiUrl}${method}`;
      this.#urls.set(method, url);
    }
    return url;
  }

  #formHeadersOf(token: string): Record<string, string> {
    return { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` };
  }

  #headersOf(token: string): Record<string, string> {
    let headers = this.#headers.get(token);
    if (headers === undefined) {
      headers = { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` };
      if (this.#headers.size >= MAX_TOKENS) this.#headers.clear();
      this.#headers.set(token, headers);
    }
    return headers;
  }
}
