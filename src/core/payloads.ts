import type {
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

const id = z.string().min(1);

/** The inner events the reference app reads, typed by @slack/types. */
export const AppMentionSchema = slackType<AppMentionEvent>(
  z.looseObject({
    type: z.literal('app_mention'),
    text: z.string(),
    channel: id,
    ts: id,
    user: id.optional(),
    thread_ts: id.optional(),
  }),
);
export const MessageSchema = slackType<GenericMessageEvent>(
  z.looseObject({ type: z.literal('message'), channel: id, ts: id }),
);
export const LinkSharedSchema = slackType<LinkSharedEvent>(
  z.looseObject({
    type: z.literal('link_shared'),
    channel: id,
    user: id,
    message_ts: id,
    links: z.array(z.looseObject({ domain: z.string(), url: z.string() })),
  }),
);
export const AppHomeOpenedSchema = slackType<AppHomeOpenedEvent>(
  z.looseObject({
    type: z.literal('app_home_opened'),
    user: id,
    channel: z.string(),
    tab: z.string().optional(),
  }),
);
export const AppUninstalledSchema = slackType<AppUninstalledEvent>(
  z.looseObject({ type: z.literal('app_uninstalled') }),
);
export const TokensRevokedSchema = slackType<TokensRevokedEvent>(
  z.looseObject({
    type: z.literal('tokens_revoked'),
    tokens: z.looseObject({ oauth: z.array(z.string()).optional(), bot: z.array(z.string()).optional() }),
  }),
);
/** Any other inner event: only its `type` is known. */
export const OtherEventSchema = z.looseObject({ type: id });

/** The Events API outer envelope (`event_callback`). https://api.slack.com/apis/events-api#callback-field */
export const EventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: id,
  api_app_id: z.string().optional(),
  enterprise_id: z.string().nullish(),
  context_enterprise_id: z.string().nullish(),
  is_ext_shared_channel: z.boolean().optional(),
  event_id: id,
  event_time: z.number(),
  event: z.looseObject({ type: id }),
});
export type EventCallback = z.infer<typeof EventCallbackSchema>;

/** A slash command, as the form body (HTTP) or the JSON payload (Socket Mode) carries it. */
export const SlashCommandSchema = z.looseObject({
  command: z.string().startsWith('/'),
  text: z.string().default(''),
  team_id: id,
  enterprise_id: z.string().optional(),
  channel_id: id,
  user_id: id,
  response_url: z.url(),
  trigger_id: id,
  api_app_id: z.string().optional(),
});
export type SlashCommand = z.infer<typeof SlashCommandSchema>;

const team = z.looseObject({ id, domain: z.string().optional() }).nullable();
const enterprise = z.looseObject({ id }).nullish();
const user = z.looseObject({ id, team_id: z.string().optional() });
const channel = z.looseObject({ id, name: z.string().optional() });
const view = z.looseObject({
  id,
  callback_id: z.string(),
  hash: z.string().optional(),
  private_metadata: z.string().optional(),
  state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({}))) }).optional(),
});
const common = { team, enterprise, user, api_app_id: z.string().optional() };

export const BlockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  ...common,
  trigger_id: id,
  channel: channel.optional(),
  container: z.looseObject({}).optional(),
  view: view.optional(),
  response_url: z.url().optional(),
  actions: z
    .array(
      z.looseObject({
        action_id: id,
        block_id: z.string(),
        type: z.string(),
        action_ts: z.string(),
        value: z.string().optional(),
      }),
    )
    .min(1),
});
export const ViewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  ...common,
  trigger_id: z.string().optional(),
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
  callback_id: id,
  trigger_id: id,
  action_ts: z.string().optional(),
});
export const MessageShortcutSchema = z.looseObject({
  type: z.literal('message_action'),
  ...common,
  callback_id: id,
  trigger_id: id,
  message_ts: id,
  channel,
  message: z.looseObject({}),
  response_url: z.url().optional(),
});
export const BlockSuggestionSchema = z.looseObject({
  type: z.literal('block_suggestion'),
  ...common,
  action_id: id,
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
export type SocketEnvelope = z.infer<typeof SocketEnvelopeSchema>;
