import type { Fixture } from './fixtures.js';

/**
 * A template of `npm run trigger`: the fixture it starts from and how to call it. What it led to is
 * read back from the server (trigger-outcome.ts), never written here.
 */
export interface TriggerTemplate {
  fixture: string;
  usage: string;
}

/** `npm run trigger -- <template> …`: deliveries built from the fixtures, always with fresh ids. */
export const TEMPLATES = {
  mention: {
    fixture: 'event_app_mention',
    usage: 'mention "hello" [--channel C123]',
  },
  command: {
    fixture: 'command_link',
    usage: 'command "/link acme" [--channel C123]',
  },
  unfurl: {
    fixture: 'event_link_shared',
    usage: 'unfurl https://app.example.com/orgs/acme [more URLs] [--channel C123]',
  },
  home: {
    fixture: 'event_app_home_opened',
    usage: 'home',
  },
  button: {
    fixture: 'block_actions_link_channel',
    usage: 'button link_channel [--channel C123]',
  },
  assistant: {
    fixture: 'event_assistant_thread_started',
    usage: 'assistant [--channel C123]  (the user opens the agent view while looking at that channel)',
  },
  ask: {
    fixture: 'event_message_im_assistant',
    usage: 'ask "What is acme up to?"  (a question in the assistant\'s thread: a streamed answer)',
  },
  stop: {
    fixture: 'event_agent_session_stopped',
    usage: "stop  (the user presses stop on the answer streaming in the assistant's thread)",
  },
} as const satisfies Record<string, TriggerTemplate>;
export type TemplateName = keyof typeof TEMPLATES;

export const isTemplate = (name: string): name is TemplateName => Object.hasOwn(TEMPLATES, name);

/** A mistake in the template's arguments: printed as one line. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Where fresh ids come from; fixed in tests. */
export interface IdSource {
  /** Seconds since the epoch. */
  now(): number;
  /** `length` random characters from `alphabet`. */
  random(length: number, alphabet: string): string;
}

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';

export const randomIds: IdSource = {
  now: () => Math.floor(Date.now() / 1000),
  random(length, alphabet) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
  },
};

/** Keys holding a message or action timestamp (`thread_ts` is left alone: it names the parent). */
const TS_KEYS = new Set(['ts', 'event_ts', 'message_ts', 'action_ts']);

/**
 * A copy of `fixture` with new delivery ids, so the server does not take it for a redelivery:
 * `event_id`, `event_time`, message and action timestamps (one new ts for all of them, so they stay
 * consistent), `trigger_id` and `unfurl_id`. Every dedup key the router derives changes with them.
 */
export function freshIds(fixture: Fixture, ids: IdSource = randomIds): Fixture {
  const seconds = ids.now();
  const ts = `${seconds}.${ids.random(6, DIGITS)}`;
  const fresh: Record<string, () => unknown> = {
    event_id: () => `Ev${ids.random(10, UPPER)}`,
    event_time: () => seconds,
    trigger_id: () => `${seconds}.${ids.random(10, DIGITS)}.${ids.random(32, HEX)}`,
  };
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        const make = fresh[key];
        if (make && v !== undefined && v !== null) return [key, make()];
        if (TS_KEYS.has(key) && typeof v === 'string' && /^\d+\.\d+$/.test(v)) return [key, ts];
        if (key === 'unfurl_id' && typeof v === 'string') {
          return [key, v.replace(/(^|\.)\d+\.\d+(?=\.|$)/, `$1${ts}`)]; // `<channel>.<ts>.<id>`
        }
        return [key, walk(v)];
      }),
    );
  };
  return { ...fixture, payload: walk(fixture.payload) as Record<string, unknown> };
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const first = (value: unknown): Json => object(Array.isArray(value) ? value[0] : undefined);

/** A channel id as Slack writes them: C…, G… or D…, capitals and digits. */
const CHANNEL = /^[CGD][A-Z0-9]{1,20}$/;

export interface TemplateArgs {
  /** The words after the template's name (`"hello"`, `"/link acme"`, URLs, an action id). */
  words: string[];
  channel?: string;
}

/**
 * Builds template `name` from its fixture (`load`), with `args` filled in and fresh ids.
 * Throws `TemplateError` (one line, naming the fix) on arguments that do not fit.
 */
export function buildTemplate(
  name: TemplateName,
  args: TemplateArgs,
  load: (fixture: string) => Fixture,
  ids: IdSource = randomIds,
): Fixture {
  const { channel } = args;
  if (channel !== undefined && !CHANNEL.test(channel)) {
    throw new TemplateError(
      `--channel ${JSON.stringify(channel)} is not a channel id: use one like C0123ABCD`,
    );
  }
  const base = load(TEMPLATES[name].fixture);
  const payload = structuredClone(base.payload);
  const text = args.words.join(' ').trim();
  switch (name) {
    case 'mention': {
      const event = object(payload.event);
      const bot = String(first(payload.authorizations).user_id ?? 'U0BOT0001');
      const said = text || 'hello';
      event.text = `<@${bot}> ${said}`;
      event.blocks = [
        {
          type: 'rich_text',
          block_id: 'b1',
          elements: [
            {
              type: 'rich_text_section',
              elements: [
                { type: 'user', user_id: bot },
                { type: 'text', text: ` ${said}` },
              ],
            },
          ],
        },
      ];
      delete event.thread_ts;
      if (channel) event.channel = channel;
      break;
    }
    case 'command': {
      const match = /^(\/[^\s]+)\s*(.*)$/s.exec(text);
      if (!match?.[1]) {
        throw new TemplateError(
          `command needs a slash command, e.g. npm run trigger -- command "/link acme" (got ${JSON.stringify(text)})`,
        );
      }
      payload.command = match[1];
      payload.text = match[2] ?? '';
      if (channel) payload.channel_id = channel;
      break;
    }
    case 'unfurl': {
      if (args.words.length === 0) {
        throw new TemplateError(
          'unfurl needs a URL, e.g. npm run trigger -- unfurl https://app.example.com/orgs/acme',
        );
      }
      const links = args.words.map((word) => {
        let url: URL;
        try {
          url = new URL(word);
        } catch {
          throw new TemplateError(`unfurl: ${JSON.stringify(word)} is not a URL (https://host/path)`);
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
          throw new TemplateError(`unfurl: ${JSON.stringify(word)} is not an http(s) URL`);
        }
        return { domain: url.hostname, url: word };
      });
      const event = object(payload.event);
      event.links = links;
      if (channel) {
        event.channel = channel;
        if (typeof event.unfurl_id === 'string') {
          event.unfurl_id = event.unfurl_id.replace(/^[^.]+/, channel);
        }
      }
      break;
    }
    case 'home':
      if (args.words.length > 0 || channel) {
        throw new TemplateError('home takes no arguments: it opens the Home tab of the fixture user');
      }
      break;
    case 'assistant': {
      if (args.words.length > 0)
        throw new TemplateError('assistant takes no words: --channel C123 names the channel in view');
      if (channel) object(object(object(payload.event).assistant_thread).context).channel_id = channel;
      break;
    }
    case 'ask': {
      if (channel)
        throw new TemplateError("ask takes no --channel: the question goes to the assistant's thread");
      object(payload.event).text = text || 'What can you do?';
      break;
    }
    case 'stop':
      if (args.words.length > 0 || channel) throw new TemplateError('stop takes no arguments');
      object(payload.event).streaming_message_ts = [];
      break;
    case 'button': {
      const actionId = text || 'link_channel';
      if (!/^[\x21-\x7e]{1,255}$/.test(actionId)) {
        throw new TemplateError(`button: ${JSON.stringify(actionId)} is not an action_id`);
      }
      const action = first(payload.actions);
      action.action_id = actionId;
      if (channel) {
        action.value = channel;
        object(payload.channel).id = channel;
        object(payload.container).channel_id = channel;
      }
      break;
    }
  }
  return freshIds({ ...base, name: `${name} (${base.name})`, payload }, ids);
}
