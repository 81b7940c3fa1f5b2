import { WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import type { ApiCall, Respond, RespondBody } from '../core/action.js';
import { EffectError } from '../core/errors.js';
import type { Workspace } from '../db/installations.js';
import type { SlackClients } from './client.js';
import type { BotTokenSource } from './tokens.js';

/** Rate limits up to this long are waited out in place; longer ones go back to the outbox with their delay. */
const MAX_INLINE_WAIT_MS = 3_000;
const MAX_INLINE_TRIES = 3;
/** Platform errors worth another try (the rest, like channel_not_found, never succeed). */
const TRANSIENT = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

type SlackEffect = ApiCall | Respond;

export interface SlackRunnerOptions {
  clients: SlackClients;
  botToken: BotTokenSource;
  /** For response_url posts. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Slack answered 429 to a Web API call (its lane slows down: src/db/lanes.ts). */
  onRateLimited?: (call: ApiCall, workspace: Workspace, retryAfterMs: number) => void;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs Web API calls and response_url posts, waiting out short rate limits and classifying failures. */
export function slackRunner(options: SlackRunnerOptions) {
  const sleep = options.sleep ?? wait;
  const post = options.fetch ?? ((input, init) => fetch(input, init));

  async function respond(url: string, body: RespondBody): Promise<null> {
    const response = await post(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
    if (response.ok) return null;
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status === 429) {
      throw new WebAPIRateLimitedError(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1);
    }
    // 404: the response_url expired (30 minutes, 5 uses); other 4xx will not change either.
    throw new EffectError(`response_url answered ${response.status}`, { retryable: response.status >= 500 });
  }

  /** Runs the effect; answers the Web API's reply (its result, for a step), or null for a response_url post. */
  return async function runSlackEffect(effect: SlackEffect, workspace: Workspace): Promise<object | null> {
    for (let tries = 1; ; tries++) {
      try {
        if (effect.type === 'respond') return await respond(effect.url, effect.body);
        const token = await options.botToken(workspace);
        if (!token) {
          throw new EffectError(
            `no bot token for team ${workspace.teamId}: install the app or set SLACK_BOT_TOKEN`,
            { retryable: false },
          );
        }
        return await options.clients.call(token, effect.method, effect.args);
      } catch (error) {
        if (error instanceof WebAPIRateLimitedError) {
          const ms = error.retryAfter * 1000;
          if (effect.type === 'api') options.onRateLimited?.(effect, workspace, ms);
          if (ms <= MAX_INLINE_WAIT_MS && tries < MAX_INLINE_TRIES) {
            await sleep(ms);
            continue;
          }
          throw new EffectError(`rate limited for ${error.retryAfter} s`, {
            retryable: true,
            retryAfterMs: ms,
            cause: error,
          });
        }
        if (error instanceof WebAPIPlatformError) {
          throw new EffectError(error.data.error, {
            retryable: TRANSIENT.has(error.data.error),
            cause: error,
          });
        }
        throw error;
      }
    }
  };
}
