import type { Block, KnownBlock, View } from '@slack/types';
import type { Fixture } from './fixtures.js';
import { type IdSource, randomIds } from './trigger-templates.js';

/** The workspace, user, channel, app and bot the builders use unless told otherwise (the fixtures' own). */
export const DEFAULTS = {
  team: 'T0001ACME',
  user: 'U0USER001',
  channel: 'C0CHAN001',
  app: 'A0APP0001',
  bot: 'U0BOT0001',
} as const;

/** Who and where a delivery comes from; each defaults to `DEFAULTS`. */
export interface Where {
  team?: string;
  user?: string;
  channel?: string;
}

type Json = Record<string, unknown>;
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';

/** Fresh ids shaped as Slack's (they pass the router's id and timestamp checks). */
function fresh(ids: IdSource) {
  const seconds = ids.now();
  return {
    ts: () => `${seconds}.${ids.random(6, DIGITS)}`,
    eventId: () => `Ev${ids.random(10, UPPER)}`,
    triggerId: () => `${seconds}.${ids.random(10, DIGITS)}.${ids.random(32, HEX)}`,
    viewId: () => `V${ids.random(10, UPPER)}`,
    random: (length: number) => ids.random(length, UPPER),
    seconds,
  };
}

const fixture = (name: string, kind: Fixture['kind'], payload: Json): Fixture => ({ name, kind, payload });
const team = (w: Where) => ({ id: w.team ?? DEFAULTS.team, domain: 'acme' });
const user = (w: Where) => ({
  id: w.user ?? DEFAULTS.user,
  username: 'ada',
  name: 'ada',
  team_id: w.team ?? DEFAULTS.team,
});
/** The fields every interactive payload has. */
const interactive = (type: string, w: Where) => ({
  type,
  team: team(w),
  user: user(w),
  api_app_id: DEFAULTS.app,
  token: 'fake-verification-token',
  is_enterprise_install: false,
  enterprise: null,
});

/** A modal as Slack sends it back: with an id, hash and state. */
function sentView(
  view: Partial<View> & { callback_id?: string },
  values: Json,
  ids: ReturnType<typeof fresh>,
) {
  const id = ids.viewId();
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Modal' },
    blocks: [],
    private_metadata: '',
    ...view,
    id,
    team_id: DEFAULTS.team,
    hash: `${ids.seconds}.${ids.random(8)}`,
    state: { values },
    app_id: DEFAULTS.app,
    bot_id: 'B0BOT0001',
    root_view_id: id,
    previous_view_id: null,
  };
}

/** Where a clicked element sits: a message (posted or ephemeral) in a channel, or a view. */
export type Container =
  | { type: 'message'; channel?: string; ts?: string; ephemeral?: boolean; blocks?: (KnownBlock | Block)[] }
  | { type: 'view'; view: Partial<View> | Record<string, unknown> };

/** An element that was clicked or changed: a button by default. */
export interface ActionInput extends Where {
  value?: string;
  blockId?: string;
  /** The element's type (`button`, `static_select`, …) and its own fields (`selected_option`, …). */
  element?: Json & { type: string };
  container?: Container;
}

/**
 * Builders for every kind of delivery Slack sends, as `Fixture`s with fresh ids (so `runHandler`
 * normalizes them as it does a real one, and no two are duplicates). Each takes what identifies it
 * and defaults the rest to `DEFAULTS`.
 * @example runHandler(router, build.command('/orgstatus', { channel: 'C0CHAN002' }), ctx)
 */
export function builders(ids: IdSource = randomIds) {
  const id = () => fresh(ids);
  const event = (type: string, fields: Json = {}, options: Pick<Where, 'team'> = {}): Fixture => {
    const made = id();
    const ts = made.ts();
    const inner = Object.fromEntries(
      Object.entries({
        type,
        user: DEFAULTS.user,
        channel: DEFAULTS.channel,
        ts,
        event_ts: ts,
        ...fields,
      }).filter(([, value]) => value !== undefined),
    );
    const t = options.team ?? DEFAULTS.team;
    return fixture(`event:${type}`, 'events_api', {
      token: 'fake-verification-token',
      team_id: t,
      api_app_id: DEFAULTS.app,
      event: inner,
      type: 'event_callback',
      event_id: made.eventId(),
      event_time: made.seconds,
      authorizations: [
        {
          enterprise_id: null,
          team_id: t,
          user_id: DEFAULTS.bot,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    });
  };
  return {
    /** A slash command: `build.command('/link', { text: 'acme' })`. */
    command(command: string, options: Where & { text?: string } = {}): Fixture {
      const t = options.team ?? DEFAULTS.team;
      return fixture(`command:${command}`, 'slash_commands', {
        token: 'fake-verification-token',
        team_id: t,
        team_domain: 'acme',
        channel_id: options.channel ?? DEFAULTS.channel,
        channel_name: 'general',
        user_id: options.user ?? DEFAULTS.user,
        user_name: 'ada',
        command,
        text: options.text ?? '',
        api_app_id: DEFAULTS.app,
        is_enterprise_install: 'false',
        response_url: `https://hooks.slack.com/commands/${t}/1000/fakeresponse`,
        trigger_id: id().triggerId(),
      });
    },

    /**
     * An Events API callback of `type`; `fields` are the inner event's (a `user`, `channel`, `ts` and
     * `event_ts` are given unless set, `undefined` leaves one out).
     */
    event,

    /** An `app_mention` of the bot saying `text`, in a channel or (`threadTs`) a thread. */
    mention(text: string, options: Where & { threadTs?: string } = {}): Fixture {
      return event(
        'app_mention',
        {
          user: options.user ?? DEFAULTS.user,
          channel: options.channel ?? DEFAULTS.channel,
          text: `<@${DEFAULTS.bot}> ${text}`,
          thread_ts: options.threadTs,
        },
        options,
      );
    },

    /** A `block_actions` payload: `actionId` clicked (a button unless `element` says otherwise). */
    blockActions(actionId: string, options: ActionInput = {}): Fixture {
      const ids = id();
      const container = options.container ?? { type: 'message' };
      const channel = options.channel ?? (container.type === 'message' ? container.channel : undefined);
      const action = {
        action_id: actionId,
        block_id: options.blockId ?? 'b1',
        ...(options.value === undefined ? {} : { value: options.value }),
        type: 'button',
        text: { type: 'plain_text', text: actionId },
        ...options.element,
        action_ts: ids.ts(),
      };
      const where =
        container.type === 'view'
          ? { container: { type: 'view', view_id: '' }, view: sentView(container.view, {}, ids) }
          : messageWhere(container, channel ?? DEFAULTS.channel, ids.ts());
      if (where.container.type === 'view' && 'view' in where) where.container.view_id = where.view.id;
      return fixture(`block_actions:${actionId}`, 'interactive', {
        ...interactive('block_actions', options),
        trigger_id: ids.triggerId(),
        ...where,
        state: { values: {} },
        response_url: `https://hooks.slack.com/actions/${options.team ?? DEFAULTS.team}/2000/fakeresponse`,
        actions: [action],
      });
    },

    /** A modal submitted: `values` as Slack puts them in `view.state.values` (block id → action id → state). */
    viewSubmission(
      callbackId: string,
      options: Where & { values?: Json; privateMetadata?: string; view?: Partial<View> } = {},
    ): Fixture {
      const view = {
        ...options.view,
        callback_id: callbackId,
        private_metadata: options.privateMetadata ?? '',
      };
      return fixture(`view_submission:${callbackId}`, 'interactive', {
        ...interactive('view_submission', options),
        trigger_id: id().triggerId(),
        view: sentView(view, options.values ?? {}, id()),
        response_urls: [],
      });
    },

    /** A modal closed (needs `notify_on_close` on the view). */
    viewClosed(callbackId: string, options: Where & { privateMetadata?: string } = {}): Fixture {
      const view = { callback_id: callbackId, private_metadata: options.privateMetadata ?? '' };
      return fixture(`view_closed:${callbackId}`, 'interactive', {
        ...interactive('view_closed', options),
        view: sentView(view, {}, id()),
        is_cleared: false,
      });
    },

    /** A `block_suggestion`: the user typed `value` into the external select `actionId`. */
    options(actionId: string, value: string, options: Where & { blockId?: string } = {}): Fixture {
      const view = sentView({ callback_id: 'modal' }, {}, id());
      return fixture(`block_suggestion:${actionId}`, 'interactive', {
        ...interactive('block_suggestion', options),
        container: { type: 'view', view_id: view.id },
        action_id: actionId,
        block_id: options.blockId ?? 'b1',
        value,
        view,
      });
    },

    /** A global shortcut. */
    shortcut(callbackId: string, options: Where = {}): Fixture {
      const ids = id();
      return fixture(`shortcut:${callbackId}`, 'interactive', {
        ...interactive('shortcut', options),
        callback_id: callbackId,
        trigger_id: ids.triggerId(),
        action_ts: ids.ts(),
      });
    },

    /** A message shortcut on a message saying `text` (by the user, in the channel). */
    messageShortcut(callbackId: string, options: Where & { text?: string } = {}): Fixture {
      const ids = id();
      const ts = ids.ts();
      const channel = options.channel ?? DEFAULTS.channel;
      return fixture(`message_action:${callbackId}`, 'interactive', {
        ...interactive('message_action', options),
        callback_id: callbackId,
        trigger_id: ids.triggerId(),
        message_ts: ts,
        response_url: `https://hooks.slack.com/app/${options.team ?? DEFAULTS.team}/3000/fakeresponse`,
        channel: { id: channel, name: 'general' },
        message: {
          type: 'message',
          user: options.user ?? DEFAULTS.user,
          ts,
          text: options.text ?? 'a message',
        },
      });
    },
  };
}

function messageWhere(container: Extract<Container, { type: 'message' }>, channel: string, ts: string) {
  const messageTs = container.ts ?? ts;
  return {
    container: {
      type: 'message',
      message_ts: messageTs,
      channel_id: channel,
      is_ephemeral: container.ephemeral ?? false,
    },
    channel: { id: channel, name: 'general' },
    // An ephemeral message is not sent back with the click.
    ...(container.ephemeral
      ? {}
      : {
          message: {
            type: 'message',
            user: DEFAULTS.bot,
            ts: messageTs,
            text: '',
            ...(container.blocks ? { blocks: container.blocks } : {}),
          },
        }),
  };
}

/** The builders with random fresh ids: `build.command('/orgstatus')`, `build.blockActions('refresh')`, … */
export const build = builders();
