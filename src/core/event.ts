import type {
  AppHomeOpenedEvent,
  AppMentionEvent,
  AppUninstalledEvent,
  AssistantThreadContextChangedEvent,
  AssistantThreadStartedEvent,
  GenericMessageEvent,
  LinkSharedEvent,
  TokensRevokedEvent,
} from '@slack/types';
import type {
  AgentSessionStoppedEvent,
  AgentSessionTitleChangedEvent,
  AppContextChanged,
  AppRateLimited,
  BlockActions,
  BlockSuggestion,
  EventCallback,
  GlobalShortcut,
  MessageShortcut,
  OtherInteractive,
  SlashCommand,
  ViewClosed,
  ViewSubmission,
} from './payloads.js';

/** How a delivery reached us: from Slack over HTTP or Socket Mode, or from our own executor (a step). */
export type Source = 'http' | 'socket' | 'step';

/** Fields every delivery kind has, lifted out of Slack's payloads. */
export interface DeliveryMeta {
  /** Stable across Slack's redeliveries of the same thing: the dedup key. */
  deliveryId: string;
  teamId: string | null;
  enterpriseId: string | null;
  userId: string | null;
  channelId: string | null;
  /** Where a `respond` action may post (commands, block actions, message shortcuts). */
  responseUrl: string | null;
  /** 0 on the first delivery; Slack's retry number (HTTP) or `retry_attempt` (Socket Mode). */
  retryNum: number;
  retryReason: string | null;
  source: Source;
}

/**
 * The inner Events API events the framework types precisely (from @slack/types). The assistant and
 * agent events are typed, not checked: they normalize as `OtherEvent`s.
 */
export interface KnownEvents {
  app_mention: AppMentionEvent;
  message: GenericMessageEvent;
  link_shared: LinkSharedEvent;
  app_home_opened: AppHomeOpenedEvent;
  app_uninstalled: AppUninstalledEvent;
  tokens_revoked: TokensRevokedEvent;
  assistant_thread_started: AssistantThreadStartedEvent;
  assistant_thread_context_changed: AssistantThreadContextChangedEvent;
  app_context_changed: AppContextChanged;
  agent_session_stopped: AgentSessionStoppedEvent;
  agent_session_title_changed: AgentSessionTitleChangedEvent;
}
export type KnownEventType = keyof KnownEvents;

/** An inner event the framework does not type: only its `type` is known. */
export interface OtherEvent {
  type: string;
  [field: string]: unknown;
}

type Delivery<K extends string, N extends string, P> = DeliveryMeta & { kind: K; name: N; payload: P };

/** An Events API callback; `name` is the inner event's type. */
export type EventsApiEvent<T extends string = string> = Delivery<
  'event',
  T,
  T extends KnownEventType ? KnownEvents[T] : OtherEvent
> & { eventId: string; eventTime: number; body: EventCallback };

/**
 * `app_rate_limited`: Slack is dropping this workspace's events for the minute `minute_rate_limited`.
 * It has no inner event and no event id; `payload` and `body` are the delivery itself.
 */
export type AppRateLimitedEvent = Delivery<'event', 'app_rate_limited', AppRateLimited> & {
  eventId: null;
  eventTime: number;
  body: AppRateLimited;
};

/** A top-level Events API delivery of a type the router does not model (one Slack adds later). */
export type OtherCallbackEvent = Delivery<'event', string, OtherEvent> & {
  eventId: null;
  eventTime: null;
  body: OtherEvent;
};

export type CommandEvent = Delivery<'command', string, SlashCommand>;
export type BlockActionEvent = Delivery<'block_action', string, BlockActions>;
export type ViewSubmissionEvent = Delivery<'view_submission', string, ViewSubmission>;
export type ViewClosedEvent = Delivery<'view_closed', string, ViewClosed>;
export type ShortcutEvent = Delivery<'shortcut', string, GlobalShortcut>;
export type MessageShortcutEvent = Delivery<'message_shortcut', string, MessageShortcut>;
export type OptionsEvent = Delivery<'options', string, BlockSuggestion>;
/**
 * An interactive payload of a type the router does not model (`interactive_message`, legacy dialogs,
 * `workflow_step_edit`, …); `name` is its `type`: `.on('interactive', 'dialog_submission', …)`.
 */
export type InteractiveEvent = Delivery<'interactive', string, OtherInteractive>;

/** What a step delivers: the result (or the error) of the effect that named it, and the data carried. */
export interface StepPayload {
  /** What the effect returned: a Web API method's answer, a task's output, a timer's `{ dueAt }`. Null on failure. */
  result: unknown;
  /** Why the effect failed for good (a `.catch` step); null on success. */
  error: string | null;
  /** What the handler gave `.then(step, data)`. */
  data: unknown;
  /** The effect's name: the method, `task <name>`, `later`. */
  effect: string;
  /** The delivery the effect belonged to. */
  from: string;
  /** The thread the conversation is in, when the first delivery had one (a mention's thread or ts). */
  threadTs: string | null;
}

/**
 * A step: an effect's result delivered to a pure handler, `.on('step', 'reply-posted', …)`. Its
 * workspace, channel and user are those of the delivery it came from.
 */
export type StepEvent = Delivery<'step', string, StepPayload>;

/**
 * Every delivery Slack makes, in one shape whatever the transport. `kind` says what it is and
 * `name` is what handlers are registered under: the event type, the command, the action_id
 * (the first action's), the callback_id, or for a kind the router does not model, Slack's `type`.
 */
export type NormalizedEvent =
  | { [T in KnownEventType]: EventsApiEvent<T> }[KnownEventType]
  | EventsApiEvent<string>
  | AppRateLimitedEvent
  | OtherCallbackEvent
  | CommandEvent
  | BlockActionEvent
  | ViewSubmissionEvent
  | ViewClosedEvent
  | ShortcutEvent
  | MessageShortcutEvent
  | OptionsEvent
  | InteractiveEvent
  | StepEvent;

export type EventKind = NormalizedEvent['kind'];
