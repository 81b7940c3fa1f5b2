import type { ApiCall, Respond } from '../core/action.js';
import type { Logger } from '../core/context.js';
import type { Workspace } from '../db/installations.js';
import { redact } from '../log/logger.js';

/** What a response_url is shown as: it is a credential (anyone holding one can post). */
export const RESPONSE_URL_SHOWN = '[response_url]';
/** The start of every line the dry-run runner prints. */
export const DRY_RUN_PREFIX = 'dry run:';

/** Said once when a pipeline is built in dry run, so a log shows why nothing reaches Slack. */
export const DRY_RUN_NOTICE = 'SLACK_DRY_RUN=true: each Slack call is printed here, not made';

/** Keys whose values are credentials whatever they look like. */
const SECRET_KEY = /token|secret|password|authorization/i;

/** `value` as one line of JSON: tokens redacted, `token`/secret fields `[redacted]`, response URLs `[response_url]`. */
export function showArgs(value: unknown): string {
  const json = JSON.stringify(value, (key, v: unknown) => {
    if (key === '') return v;
    if (/^response_urls?$/i.test(key) && v != null) return RESPONSE_URL_SHOWN;
    if (SECRET_KEY.test(key) && typeof v === 'string') return '[redacted]';
    return v;
  });
  return redact(json ?? 'undefined');
}

/** The line the dry-run runner prints for `effect`. */
export function dryRunLine(effect: ApiCall | Respond, workspace: Workspace): string {
  const team = workspace.teamId ?? workspace.enterpriseId;
  const what =
    effect.type === 'respond'
      ? `POST ${RESPONSE_URL_SHOWN} ${showArgs(effect.body)}`
      : `${effect.method} ${showArgs(effect.args)}`;
  return `${DRY_RUN_PREFIX} ${what}${team ? ` (team ${team})` : ''}`;
}

/**
 * `SLACK_DRY_RUN=true`: instead of calling the Web API or posting to a response_url, prints the call
 * (method and arguments, tokens redacted, the response_url as `[response_url]`) and returns, so the
 * executor records the effect as done. No request is made and no bot token is needed.
 */
export function dryRunRunner(logger: Logger) {
  logger.info(DRY_RUN_NOTICE);
  return async function runDry(effect: ApiCall | Respond, workspace: Workspace): Promise<void> {
    logger.info(dryRunLine(effect, workspace));
  };
}
