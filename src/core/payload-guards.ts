import type { AppMentionEvent, GenericMessageEvent } from '@slack/types';
import type * as z from 'zod';
import {
  type BlockActions,
  type EventCallback,
  type OtherEventSchema,
  SLACK_ID,
  SLACK_ID_OR_EMPTY,
  SLACK_TS,
  type SlashCommand,
  type SocketEnvelopeSchema,
  url,
} from './payloads.js';

// Guards for the hot kinds, so most deliveries are checked without zod's copies. Each accepts only
// what its schema above accepts, and only where the schema's output would equal its input (proved
// in test/core/guards.test.ts); whatever a guard refuses goes to the schema, which words the refusal.

/** A plain object: zod copies it key for key, but drops an own `__proto__` key, so those go to zod. */
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  Object.getPrototypeOf(v) === Object.prototype &&
  !Object.hasOwn(v, '__proto__');
const isId = (v: unknown) => typeof v === 'string' && SLACK_ID.test(v);
const isTs = (v: unknown) => typeof v === 'string' && SLACK_TS.test(v);
const isName = (v: unknown) => typeof v === 'string' && v !== '';
const optional = (check: (v: unknown) => boolean) => (v: unknown) => v === undefined || check(v);
const optId = optional(isId);
const optTs = optional(isTs);
const optString = optional((v) => typeof v === 'string');
const optIdOrEmpty = optional((v) => typeof v === 'string' && SLACK_ID_OR_EMPTY.test(v));
const nullishIdOrEmpty = (v: unknown) => v === null || optIdOrEmpty(v);
/** `z.url()` trims and strips tabs and newlines: a URL it would change goes to zod. */
const isUrl = (v: unknown) => {
  const result = url.safeParse(v);
  return result.success && result.data === v;
};

/** `EventCallbackSchema`, whose inner event is then checked by `isAppMention`, `isMessage` or `isOtherEvent`. */
export const isEventCallback = (v: unknown): v is EventCallback =>
  isPlain(v) &&
  v.type === 'event_callback' &&
  (v.team_id == null || isId(v.team_id)) &&
  optIdOrEmpty(v.api_app_id) &&
  nullishIdOrEmpty(v.enterprise_id) &&
  nullishIdOrEmpty(v.context_enterprise_id) &&
  nullishIdOrEmpty(v.context_team_id) &&
  (v.is_ext_shared_channel === undefined || typeof v.is_ext_shared_channel === 'boolean') &&
  isId(v.event_id) &&
  Number.isFinite(v.event_time) &&
  isPlain(v.event) &&
  isName(v.event.type);

/** `AppMentionSchema`. */
export const isAppMention = (e: unknown): e is AppMentionEvent =>
  isPlain(e) &&
  e.type === 'app_mention' &&
  typeof e.text === 'string' &&
  isId(e.channel) &&
  isTs(e.ts) &&
  optId(e.user) &&
  optTs(e.thread_ts) &&
  optId(e.bot_id);

/** `MessageSchema`. */
export const isMessage = (e: unknown): e is GenericMessageEvent =>
  isPlain(e) &&
  e.type === 'message' &&
  isId(e.channel) &&
  isTs(e.ts) &&
  optId(e.user) &&
  optTs(e.thread_ts) &&
  optId(e.bot_id) &&
  optId(e.app_id);

/** `OtherEventSchema`. */
export const isOtherEvent = (e: unknown): e is z.infer<typeof OtherEventSchema> =>
  isPlain(e) && isName(e.type);

/** `SlashCommandSchema`, for a command that has its `text` (else zod supplies the default). */
export const isSlashCommand = (v: unknown): v is SlashCommand =>
  isPlain(v) &&
  typeof v.command === 'string' &&
  v.command.startsWith('/') &&
  typeof v.text === 'string' &&
  isId(v.team_id) &&
  optIdOrEmpty(v.enterprise_id) &&
  isId(v.channel_id) &&
  isId(v.user_id) &&
  isUrl(v.response_url) &&
  isId(v.trigger_id) &&
  optIdOrEmpty(v.api_app_id);

const isRecordOf = (v: unknown, check: (v: unknown) => boolean) =>
  isPlain(v) && Object.values(v).every(check);
const isView = (v: unknown) =>
  isPlain(v) &&
  isId(v.id) &&
  typeof v.callback_id === 'string' &&
  optId(v.hash) &&
  optString(v.private_metadata) &&
  (v.state === undefined ||
    (isPlain(v.state) &&
      (v.state.values === undefined || isRecordOf(v.state.values, (block) => isRecordOf(block, isPlain)))));
const isAction = (a: unknown) =>
  isPlain(a) &&
  isName(a.action_id) &&
  typeof a.block_id === 'string' &&
  typeof a.type === 'string' &&
  isId(a.action_ts) &&
  optString(a.value);
const isActions = (v: unknown) => {
  if (!Array.isArray(v) || v.length === 0) return false;
  // Not `every`: it skips holes, which zod reads as undefined.
  for (let i = 0; i < v.length; i++) if (!isAction(v[i])) return false;
  return true;
};

/** `BlockActionsSchema`. */
export const isBlockActions = (v: unknown): v is BlockActions =>
  isPlain(v) &&
  v.type === 'block_actions' &&
  (v.team === null || (isPlain(v.team) && isId(v.team.id) && optString(v.team.domain))) &&
  (v.enterprise == null || (isPlain(v.enterprise) && isId(v.enterprise.id))) &&
  isPlain(v.user) &&
  isId(v.user.id) &&
  optIdOrEmpty(v.user.team_id) &&
  optIdOrEmpty(v.api_app_id) &&
  optId(v.trigger_id) &&
  (v.interactivity === undefined ||
    (isPlain(v.interactivity) && isId(v.interactivity.interactivity_pointer))) &&
  (v.channel === undefined || (isPlain(v.channel) && isId(v.channel.id) && optString(v.channel.name))) &&
  (v.container === undefined || isPlain(v.container)) &&
  (v.view === undefined || isView(v.view)) &&
  (v.response_url === undefined || isUrl(v.response_url)) &&
  isActions(v.actions);

/** `SocketEnvelopeSchema`: its payload is then checked by the guard of its kind, or by zod. */
export const isSocketEnvelope = (v: unknown): v is z.infer<typeof SocketEnvelopeSchema> =>
  isPlain(v) &&
  isId(v.envelope_id) &&
  (v.type === 'events_api' || v.type === 'slash_commands' || v.type === 'interactive') &&
  isPlain(v.payload) &&
  (v.accepts_response_payload === undefined || typeof v.accepts_response_payload === 'boolean') &&
  (v.retry_attempt === undefined ||
    (typeof v.retry_attempt === 'number' && Number.isSafeInteger(v.retry_attempt) && v.retry_attempt >= 0)) &&
  optString(v.retry_reason);
