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

let sequence = 0;
const field = (args: object, key: string): unknown => (key in args ? Reflect.get(args, key) : undefined);

/**
 * A plausible answer for a call that was not made, so the steps after it run as they would: a
 * message gets a `ts` (and keeps its channel), a view an `id`, a conversation opened an id.
 */
export function syntheticResult(effect: ApiCall, now = Date.now()): object {
  const n = ++sequence;
  const ts = `${Math.floor(now / 1000)}.${String(n).padStart(6, '0')}`;
  const channel = field(effect.args, 'channel');
  switch (effect.method) {
    case 'chat.postMessage':
    case 'chat.update':
    case 'chat.scheduleMessage':
    case 'chat.startStream':
      return {
        ok: true,
        channel,
        ts: field(effect.args, 'ts') ?? ts,
        message: { ts, text: field(effect.args, 'text') },
      };
    case 'chat.postEphemeral':
      return { ok: true, message_ts: ts };
    case 'views.open':
    case 'views.push':
    case 'views.update':
    case 'views.publish':
      return { ok: true, view: { id: `VDRYRUN${n}`, hash: `${n}.dryrun` } };
    case 'conversations.open':
      return { ok: true, channel: { id: `DDRYRUN${n}` } };
    default:
      return { ok: true };
  }
}

/**
 * `SLACK_DRY_RUN=true`: instead of calling the Web API or posting to a response_url, prints the call
 * (method and arguments, tokens redacted, the response_url as `[response_url]`) and answers a
 * plausible result (`syntheticResult`), so the executor records the effect as done and the steps
 * after it run. No request is made and no bot token is needed.
 */
export function dryRunRunner(logger: Logger) {
  logger.info(DRY_RUN_NOTICE);
  return async function runDry(effect: ApiCall | Respond, workspace: Workspace): Promise<object | null> {
    logger.info(dryRunLine(effect, workspace));
    return effect.type === 'api' ? syntheticResult(effect) : null;
  };
}
