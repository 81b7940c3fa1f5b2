import type { Block, KnownBlock, Option, OptionGroup, View } from '@slack/types';
import { type Chainable, chainable, type LaterEffect, type Next, type TaskEffect } from './conversation.js';
import type { EventKind } from './event.js';
import type { StopStreamEffect, StreamEffect } from './stream.js';
import type { ApiArgs, ApiMethod } from './web-api.js';

export { later, taskBuilder } from './conversation.js';
export { stopStream, streamBuilder } from './stream.js';

export type { ApiArgs, ApiMethod, ApiResult } from './web-api.js';

/**
 * A Slack Web API call, run after the ack: any method @slack/web-api knows. Its arguments were typed
 * by `api()` when the handler built it; stored, they are the plain object WebClient would send.
 * `M` narrows the method, so a route can say which methods its handler may call.
 */
export interface ApiCall<M extends ApiMethod = ApiMethod> {
  type: 'api';
  method: M;
  args: object;
  /** The step its result feeds (`.then`), or its failure for good (`.catch`). */
  next?: Next;
}

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

/**
 * A write to the app's own store, run after the ack like any other effect. The app declares its
 * writes (a zod schema whose members each have `type: 'store'` and an `op`); the router carries them.
 */
export interface StoreWrite {
  type: 'store';
  op: string;
}

/** The framework's own store write: a workspace uninstalled the app, or revoked its bot token. */
export interface Uninstall {
  type: 'uninstall';
  teamId: string | null;
  enterpriseId: string | null;
}

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

/**
 * What a payload of a kind the router does not model may be acked with: a legacy dialog's `errors`,
 * a `dialog_suggestion`'s `options`, or the message that replaces an `interactive_message`.
 * https://api.slack.com/dialogs#validation
 */
export type InteractiveAckBody = { [field: string]: unknown };

/** The body Slack gets inside its 3-second window; `for` is the only kind that may carry it. */
export type Ack =
  | { type: 'ack'; for: 'command'; body: CommandAckBody }
  | { type: 'ack'; for: 'view_submission'; body: ViewAckBody }
  | { type: 'ack'; for: 'options'; body: OptionsAckBody }
  | { type: 'ack'; for: 'interactive'; body: InteractiveAckBody };
export type AckBody = Ack['body'];

/** The effects the framework itself runs. */
export type FrameworkEffect =
  | ApiCall
  | Respond
  | Uninstall
  | TaskEffect
  | LaterEffect
  | StreamEffect
  | StopStreamEffect;
/**
 * Everything that happens after the ack; `W` is the app's store writes, `M` the Web API methods
 * its calls may use (all of them unless narrowed).
 */
export type Effect<W extends StoreWrite = StoreWrite, M extends ApiMethod = ApiMethod> =
  | Exclude<FrameworkEffect, ApiCall>
  | ApiCall<M>
  | W;
/** What a handler returns: at most one ack, and effects. */
export type Action<W extends StoreWrite = StoreWrite, M extends ApiMethod = ApiMethod> = Ack | Effect<W, M>;
/** Every effect type: each needs a runner and a stored schema (the `never` checks hold that). */
export type EffectType = Effect['type'];

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
  /** The answer to a legacy interactive payload (dialog errors, dialog_suggestion options, a message). */
  interactive: (body: InteractiveAckBody): Ack => ({ type: 'ack', for: 'interactive', body }),
} as const;

/**
 * Builds a Web API call action with the method's own argument type, for any method:
 * @example api('chat.postMessage', { channel, text: 'Looking…' }).then('reply-posted', { slug })
 */
export function api<M extends ApiMethod>(method: M, args: ApiArgs<M>): Chainable<ApiCall<NoInfer<M>>> {
  return chainable<ApiCall<M>>({ type: 'api', method, args });
}

/** Builds a `respond` action: a message posted to the delivery's response_url after the ack. */
export function respond(url: string, body: RespondBody): Respond {
  return { type: 'respond', url, body };
}

/** Builds the framework's uninstall action for the delivery's workspace. */
export function uninstall(workspace: { teamId: string | null; enterpriseId: string | null }): Uninstall {
  return { type: 'uninstall', teamId: workspace.teamId, enterpriseId: workspace.enterpriseId };
}

/** The short name an effect is logged under: the method, the store op, `respond` or `uninstall`. */
export function effectName(effect: Effect): string {
  switch (effect.type) {
    case 'api':
      return effect.method;
    case 'store':
      return effect.op;
    case 'task':
      return `task ${effect.name}`;
    case 'stream':
      return `stream ${effect.name}`;
    case 'stop_stream':
    case 'respond':
    case 'uninstall':
    case 'later':
      return effect.type;
    default:
      return unreachable(effect);
  }
}

/** The `never` check at the end of a switch over a union: a new member fails to compile until handled. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/** The kinds that can carry an ack body; every other kind is acked empty. */
export const ACKABLE_KINDS: readonly EventKind[] = ['command', 'view_submission', 'options', 'interactive'];
