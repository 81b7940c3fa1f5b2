import { type FetchFunction, LogLevel, WebClient } from '@slack/web-api';

export interface SlackClientOptions {
  /** `SLACK_API_URL`, ending in a slash. */
  slackApiUrl: string;
  /** A `fetch` for WebClient: keep-alive on Node, the workerd wrapper on Workers. */
  fetch?: FetchFunction;
  /** Inline retries of 5xx and network errors (rate limits are handled by the runner). */
  retries?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/**
 * WebClient on workerd: it asks for `redirect: 'error'`, which workerd refuses, and calls fetch
 * unbound. https://github.com/slackapi/node-slack-sdk (DESIGN.md, "Slack Web API")
 */
export const workerdFetch: FetchFunction = (input, init) => fetch(input, { ...init, redirect: 'manual' });

/** One WebClient per token, built on first use. */
export class SlackClients {
  readonly #clients = new Map<string, WebClient>();

  constructor(private readonly options: SlackClientOptions) {}

  /** The client for `token`. */
  for(token: string): WebClient {
    let client = this.#clients.get(token);
    if (!client) {
      client = new WebClient(token, {
        slackApiUrl: this.options.slackApiUrl,
        fetch: this.options.fetch,
        logLevel: LogLevel.ERROR,
        rejectRateLimitedCalls: true,
        timeout: this.options.timeoutMs ?? 10_000,
        retryConfig: {
          retries: this.options.retries ?? 2,
          factor: 2,
          minTimeout: 200,
          maxTimeout: 1_000,
          randomize: true,
        },
      });
      this.#clients.set(token, client);
    }
    return client;
  }
}
