import type {
  AppContextChangedEvent,
  AppHomeOpenedEvent,
  AppMentionEvent,
  AppUninstalledEvent,
  GenericMessageEvent,
  LinkSharedEvent,
  TokensRevokedEvent,
} from '@slack/types';
import * as z from 'zod';

/**
 * A schema whose output is one of Slack's own types from @slack/types, checked at run time by
 * `shape` (the fields we read). Slack's types describe far more than we could check field by field.
 */
function slackType<T>(shape: z.ZodType) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      const result = shape.safeParse(value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
        }
      }
    })
    .pipe(z.custom<T>());
}

/** Slack's ids (T0001ACME, C0CHAN001, Ev0MENTION01, trigger and envelope ids): printable ASCII, no space. */
export const SLACK_ID = /^[\x21-\x7e]{1,128}$/;
/** A message timestamp (`ts`, `action_ts`): digits, one dot, digits. */
export const SLACK_TS = /^[0-9]{1,16}\.[0-9]{1,16}$/;
/** An id Slack may also send empty. */
export const SLACK_ID_OR_EMPTY = /^[\x21-\x7e]{0,128}$/;

const NOT_AN_ID = 'not a Slack id (printable ASCII, no spaces, at most 128 characters)';
const id = z.string().regex(SLACK_ID, NOT_AN_ID);
/** An id Slack may also send empty (`enterprise_id=` in a form, `api_app_id`). */
const idOrEmpty = z.string().regex(SLACK_ID_OR_EMPTY, NOT_AN_ID);
const ts = z.string().regex(SLACK_TS, 'not a Slack timestamp (digits, one dot, digits)');
/** A name chosen by an app or by Slack (event type, action_id, callback_id): any non-empty text. */
const name = z.string().min(1);

/** The inner events the reference app reads, typed by @slack/types. */
export const AppMentionSchema = slackType<AppMentionEvent>(
  z.looseObject({
    type: z.literal('app_mention'),
    text: z.string(),
    channel: id,
    ts,
    user: id.optional(),
    thread_ts: ts.optional(),
    bot_id: id.optional(),
  }),
);
export const MessageSchema = slackType<GenericMessageEvent>(
  z.looseObject({
    type: z.literal('message'),
    channel: id,
    ts,
    user: id.optional(),
    thread_ts: ts.optional(),
    bot_id: id.optional(),
    app_id: id.optional(),
  }),
);
export const LinkSharedSchema = slackType<LinkSharedEvent>(
  z.looseObject({
    type: z.literal('link_shared'),
    channel: id,
    user: id,
    // In the composer (`source: composer`) it is an unfurl id, not a ts.
    message_ts: id,
    links: z.array(z.looseObject({ domain: z.string(), url: z.string() })),
  }),
);
export const AppHomeOpenedSchema = slackType<AppHomeOpenedEvent>(
  z.looseObject({
    type: z.literal('app_home_opened'),
    user: id,
    channel: id,
    tab: z.string().optional(),
  }),
);
export const AppUninstalledSchema = slackType<AppUninstalledEvent>(
  z.looseObject({ type: z.literal('app_uninstalled') }),
);
export const TokensRevokedSchema = slackType<TokensRevokedEvent>(
  z.looseObject({
    type: z.literal('tokens_revoked'),
    tokens: z.looseObject({ oauth: z.array(id).optional(), bot: z.array(id).optional() }),
  }),
);
/**
 * Any other inner event: only its `type` is known. Its `user` and `channel` are lifted where they are
 * ids; Slack sends objects (`user_change`, `channel_created`) or nothing there too, so nothing else is checked.
 */
export const OtherEventSchema = z.looseObject({ type: name });

/**
 * `app_context_changed`: what the user of an agent view is looking at. @slack/types requires `channel`
 * and `user`, but Slack's documented example has neither, so they are optional here.
 * https://docs.slack.dev/reference/events/app_context_changed
 */
export type AppContextChanged = Omit<AppContextChangedEvent, 'channel' | 'user'> &
  Partial<Pick<AppContextChangedEvent, 'channel' | 'user'>>;

/**
 * `agent_session_stopped`: the user pressed stop on an agent session; `streaming_message_ts` lists the
 * streams Slack stopped (empty when none was active). Typed only: it takes the `OtherEvent` path.
 * https://docs.slack.dev/reference/events/agent_session_stopped
 */
export interface AgentSessionStoppedEvent {
  type: 'agent_session_stopped';
  channel: string;
  user: string;
  thread_ts: string;
  streaming_message_ts: string[];
  event_ts: string;
}

/**
 * `agent_session_title_changed`: the user renamed an agent session; `previous_title` is absent when it
 * had none. Typed only. https://docs.slack.dev/reference/events/agent_session_title_changed
 */
export interface AgentSessionTitleChangedEvent {
  type: 'agent_session_title_changed';
  channel: string;
  user: string;
  team_id: string;
  thread_ts: string;
  title: string;
  previous_title?: string;
  enterprise_id?: string;
  event_ts: string;
}

/**
 * The Events API outer envelope (`event_callback`). https://api.slack.com/apis/events-api#callback-field
 * `team_id` is null or absent on an org-wide (Enterprise Grid) install, which has `enterprise_id`.
 */
export const EventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: id.nullish(),
  api_app_id: idOrEmpty.optional(),
  enterprise_id: idOrEmpty.nullish(),
  context_enterprise_id: idOrEmpty.nullish(),
  context_team_id: idOrEmpty.nullish(),
  is_ext_shared_channel: z.boolean().optional(),
  event_id: id,
  event_time: z.number(),
  event: z.looseObject({ type: name }),
});
export type EventCallback = z.infer<typeof EventCallbackSchema>;

/**
 * `app_rate_limited`: a top-level delivery with no inner event, sent while a workspace's events pass
 * 30,000 an hour. https://api.slack.com/apis/events-api#rate_limiting
 */
export const AppRateLimitedSchema = z.looseObject({
  type: z.literal('app_rate_limited'),
  team_id: id,
  minute_rate_limited: z.number(),
  api_app_id: idOrEmpty.optional(),
});
export type AppRateLimited = z.infer<typeof AppRateLimitedSchema>;

/** Any other top-level Events API delivery (a type Slack adds later): only its `type` is known. */
export const OtherCallbackSchema = z.looseObject({ type: name });

/** One URL schema, shared with the guards (payload-guards.ts) that must agree with it. */
export const url = z.url();

/** A slash command, as the form body (HTTP) or the JSON payload (Socket Mode) carries it. */
export const SlashCommandSchema = z.looseObject({
  command: z.string().startsWith('/'),
  text: z.string().default(''),
  team_id: id,
  enterprise_id: idOrEmpty.optional(),
  channel_id: id,
  user_id: id,
  response_url: url,
  trigger_id: id,
  api_app_id: idOrEmpty.optional(),
});
export type SlashCommand = z.infer<typeof SlashCommandSchema>;

const team = z.looseObject({ id, domain: z.string().optional() }).nullable();
const enterprise = z.looseObject({ id }).nullish();
const user = z.looseObject({ id, team_id: idOrEmpty.optional() });
const channel = z.looseObject({ id, name: z.string().optional() });
const view = z.looseObject({
  id,
  callback_id: z.string(),
  hash: id.optional(),
  private_metadata: z.string().optional(),
  state: z
    .looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({}))).optional() })
    .optional(),
});
const common = { team, enterprise, user, api_app_id: idOrEmpty.optional() };

export const BlockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  ...common,
  // Absent on a workflow step's or a custom function's message, which carry `interactivity` instead.
  trigger_id: id.optional(),
  interactivity: z.looseObject({ interactivity_pointer: id }).optional(),
  channel: channel.optional(),
  container: z.looseObject({}).optional(),
  view: view.optional(),
  response_url: url.optional(),
  actions: z
    .array(
      z.looseObject({
        action_id: name,
        block_id: z.string(),
        type: z.string(),
        // Read as an id, not a ts: only its identity matters (the dedup key), and tests in the wild send "111.222.3".
        action_ts: id,
        value: z.string().optional(),
      }),
    )
    .min(1),
});
export const ViewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  ...common,
  trigger_id: id.optional(),
  view,
});
export const ViewClosedSchema = z.looseObject({
  type: z.literal('view_closed'),
  ...common,
  view,
  is_cleared: z.boolean().optional(),
});
export const GlobalShortcutSchema = z.looseObject({
  type: z.literal('shortcut'),
  ...common,
  callback_id: name,
  trigger_id: id,
  action_ts: ts.optional(),
});
export const MessageShortcutSchema = z.looseObject({
  type: z.literal('message_action'),
  ...common,
  callback_id: name,
  trigger_id: id,
  // Slack's own example omits it; the message carries its ts too.
  message_ts: ts.optional(),
  channel,
  message: z.looseObject({}),
  response_url: z.url().optional(),
});
export const BlockSuggestionSchema = z.looseObject({
  type: z.literal('block_suggestion'),
  ...common,
  action_id: name,
  block_id: z.string(),
  value: z.string(),
  channel: channel.optional(),
  view: view.optional(),
});

/** Every interactivity payload (`payload=` form field, or Socket Mode `interactive`). */
export const InteractivePayloadSchema = z.discriminatedUnion('type', [
  BlockActionsSchema,
  ViewSubmissionSchema,
  ViewClosedSchema,
  GlobalShortcutSchema,
  MessageShortcutSchema,
  BlockSuggestionSchema,
]);
export type BlockActions = z.infer<typeof BlockActionsSchema>;
export type ViewSubmission = z.infer<typeof ViewSubmissionSchema>;
export type ViewClosed = z.infer<typeof ViewClosedSchema>;
export type GlobalShortcut = z.infer<typeof GlobalShortcutSchema>;
export type MessageShortcut = z.infer<typeof MessageShortcutSchema>;
export type BlockSuggestion = z.infer<typeof BlockSuggestionSchema>;

/** The interactive types the router models; any other (legacy dialogs, interactive_message, …) is `OtherInteractive`. */
export const INTERACTIVE_TYPES: readonly string[] = InteractivePayloadSchema.options.map(
  (option) => option.shape.type.value,
);

/**
 * Any other interactive payload: `interactive_message` (legacy attachment buttons), `dialog_submission`,
 * `dialog_suggestion`, `dialog_cancellation`, `workflow_step_edit`, or a type Slack adds later.
 * Only its `type` is known; the ids it may carry are lifted where they are ids.
 */
export const OtherInteractiveSchema = z.looseObject({ type: name });
export type OtherInteractive = z.infer<typeof OtherInteractiveSchema>;

/** `url_verification`, sent once when the Request URL is saved. */
export const UrlVerificationSchema = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string(),
});

/** A Socket Mode envelope that carries a delivery. https://api.slack.com/apis/socket-mode */
export const SocketEnvelopeSchema = z.looseObject({
  envelope_id: id,
  type: z.enum(['events_api', 'slash_commands', 'interactive']),
  payload: z.looseObject({}),
  accepts_response_payload: z.boolean().optional(),
  retry_attempt: z.number().int().nonnegative().optional(),
  retry_reason: z.string().optional(),
});
