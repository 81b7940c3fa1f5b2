import type { Block, KnownBlock, Option, OptionGroup, View } from '@slack/types';
import type {
  ChatPostEphemeralArguments,
  ChatPostMessageArguments,
  ChatUnfurlArguments,
  ChatUpdateArguments,
  ViewsOpenArguments,
  ViewsPublishArguments,
  ViewsPushArguments,
  ViewsUpdateArguments,
} from '@slack/web-api';
import * as z from 'zod';
import type { EventKind } from './event.js';

/** The Slack Web API methods a handler may call, each with @slack/web-api's argument type. */
export interface ApiMethods {
  'chat.postMessage': ChatPostMessageArguments;
  'chat.postEphemeral': ChatPostEphemeralArguments;
  'chat.update': ChatUpdateArguments;
  'chat.unfurl': ChatUnfurlArguments;
  'views.open': ViewsOpenArguments;
  'views.publish': ViewsPublishArguments;
  'views.push': ViewsPushArguments;
  'views.update': ViewsUpdateArguments;
}
export type ApiMethod = keyof ApiMethods;
export const API_METHODS = [
  'chat.postMessage',
  'chat.postEphemeral',
  'chat.update',
  'chat.unfurl',
  'views.open',
  'views.publish',
  'views.push',
  'views.update',
] as const satisfies readonly ApiMethod[];

/** A Slack Web API call, run after the ack. */
export type ApiCall = { [M in ApiMethod]: { type: 'api'; method: M; args: ApiMethods[M] } }[ApiMethod];

/** A message posted to a `response_url` after the ack. */
export interface RespondBody {
  text?: string;
  blocks?: (KnownBlock | Block)[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
}
export interface Respond {
  type: 'respond';
  url: string;
  body: RespondBody;
}

/** Writes to the app's own store, run after the ack like any other effect. */
export const StoreWriteSchema = z.discriminatedUnion('op', [
  z.object({
    type: z.literal('store'),
    op: z.literal('link_channel'),
    teamId: z.string(),
    channelId: z.string(),
    organizationSlug: z.string(),
    linkedBy: z.string(),
  }),
  z.object({
    type: z.literal('store'),
    op: z.literal('unlink_channel'),
    teamId: z.string(),
    channelId: z.string(),
  }),
  z.object({
    type: z.literal('store'),
    op: z.literal('delete_installation'),
    teamId: z.string().nullable(),
    enterpriseId: z.string().nullable(),
  }),
]);
export type StoreWrite = z.infer<typeof StoreWriteSchema>;

/**
 * An effect as read back from the outbox (JSON). Web API arguments were typed when the handler
 * built them; here they are the plain object WebClient.apiCall takes.
 */
export const StoredEffectSchema = z.union([
  z.object({ type: z.literal('api'), method: z.enum(API_METHODS), args: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('respond'), url: z.url(), body: z.record(z.string(), z.unknown()) }),
  StoreWriteSchema,
]);
export type StoredEffect = z.infer<typeof StoredEffectSchema>;

/** What a slash command's ack may carry: a message shown to the user. */
export interface CommandAckBody {
  response_type?: 'ephemeral' | 'in_channel';
  text?: string;
  blocks?: (KnownBlock | Block)[];
}
/** A view_submission `response_action`. https://api.slack.com/surfaces/modals#updating_response */
export type ViewAckBody =
  | { response_action: 'errors'; errors: Record<string, string> }
  | { response_action: 'update'; view: View }
  | { response_action: 'push'; view: View }
  | { response_action: 'clear' };
/** Options for a block_suggestion request. */
export type OptionsAckBody = { options: Option[] } | { option_groups: OptionGroup[] };

/** The body Slack gets inside its 3-second window; `for` is the only kind that may carry it. */
export type Ack =
  | { type: 'ack'; for: 'command'; body: CommandAckBody }
  | { type: 'ack'; for: 'view_submission'; body: ViewAckBody }
  | { type: 'ack'; for: 'options'; body: OptionsAckBody };
export type AckBody = Ack['body'];
export type AckableKind = Ack['for'];

/** Everything that happens after the ack. */
export type Effect = ApiCall | Respond | StoreWrite;
/** What a handler returns: at most one ack, and effects. */
export type Action = Ack | Effect;

/** Builders for acks, so handlers read as what they mean. */
export const ack = {
  /** A slash command's reply (ephemeral unless told otherwise). */
  message: (body: CommandAckBody | string): Ack => ({
    type: 'ack',
    for: 'command',
    body: typeof body === 'string' ? { response_type: 'ephemeral', text: body } : body,
  }),
  /** Keep the modal open and show an error under each named block. */
  errors: (errors: Record<string, string>): Ack => ({
    type: 'ack',
    for: 'view_submission',
    body: { response_action: 'errors', errors },
  }),
  update: (view: View): Ack => ({
    type: 'ack',
    for: 'view_submission',
    body: { response_action: 'update', view },
  }),
  push: (view: View): Ack => ({
    type: 'ack',
    for: 'view_submission',
    body: { response_action: 'push', view },
  }),
  clear: (): Ack => ({ type: 'ack', for: 'view_submission', body: { response_action: 'clear' } }),
  options: (options: Option[]): Ack => ({ type: 'ack', for: 'options', body: { options } }),
} as const;

/** Builds a Web API call action with the method's own argument type. */
export function api<M extends ApiMethod>(method: M, args: ApiMethods[M]): ApiCall {
  return { type: 'api', method, args } as ApiCall;
}

/** The kinds that can carry an ack body; every other kind is acked empty. */
export const ACKABLE_KINDS: readonly EventKind[] = ['command', 'view_submission', 'options'];
