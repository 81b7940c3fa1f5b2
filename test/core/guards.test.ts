import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { Result } from '../../src/core/errors.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { fromCommand, fromEventCallback, fromInteractive, type Retry } from '../../src/core/lift.js';
import { normalizeEnvelope } from '../../src/core/normalize.js';
import {
  isAppMention,
  isBlockActions,
  isEventCallback,
  isMessage,
  isOtherEvent,
  isSlashCommand,
  isSocketEnvelope,
} from '../../src/core/payload-guards.js';
import {
  AppMentionSchema,
  BlockActionsSchema,
  EventCallbackSchema,
  MessageSchema,
  OtherEventSchema,
  SlashCommandSchema,
  SocketEnvelopeSchema,
} from '../../src/core/payloads.js';
import { type Fixture, fixture, fixtureNames, socketForm } from '../helpers/fixtures.js';
import { FC_SEED, type Mutation, mutate, mutatedFixture, pathsOf } from '../helpers/mutate.js';

const RUNS = process.env.FC_RUNS ? Number(process.env.FC_RUNS) : 300;
const retry: Retry = { retryNum: 1, retryReason: 'http_timeout', source: 'http' };

type Payload = Record<string, unknown>;

/** What zod makes of `value`, when it accepts it without changing anything (its output equals its input). */
function unchangedBy(schema: z.ZodType, value: unknown): boolean {
  const result = schema.safeParse(value);
  return result.success && isDeepStrictEqual(result.data, value);
}

const typed = [
  'app_mention',
  'message',
  'link_shared',
  'app_home_opened',
  'app_uninstalled',
  'tokens_revoked',
];
/** The inner schema zod checks an event with, for the types the guards cover (else undefined). */
const innerSchema = (type: string) =>
  type === 'app_mention'
    ? AppMentionSchema
    : type === 'message'
      ? MessageSchema
      : typed.includes(type)
        ? undefined
        : OtherEventSchema;

/** What the guards must say of each payload: exactly what zod says, where zod leaves it as it is. */
const pairs = {
  events_api: {
    guard: (v: Payload) =>
      isEventCallback(v) &&
      (isAppMention(v.event) ||
        isMessage(v.event) ||
        (!typed.includes(v.event.type) && isOtherEvent(v.event))),
    zod: (v: Payload) => {
      if (!unchangedBy(EventCallbackSchema, v)) return false;
      const event = EventCallbackSchema.parse(v).event;
      const schema = innerSchema(event.type);
      return schema !== undefined && unchangedBy(schema, event);
    },
    lift: fromEventCallback,
  },
  slash_commands: {
    guard: isSlashCommand,
    zod: (v: Payload) => unchangedBy(SlashCommandSchema, v),
    lift: fromCommand,
  },
  interactive: {
    guard: isBlockActions,
    zod: (v: Payload) => unchangedBy(BlockActionsSchema, v),
    lift: fromInteractive,
  },
};

/** The same payload with a null prototype: the guards refuse it, so it goes the zod way all through. */
const viaZod = (payload: Payload): Payload => Object.assign(Object.create(null), payload);

/** A result in a form `toEqual` compares whole: the event, or the error's code and message. */
const outcome = (result: Result<NormalizedEvent>) =>
  result.ok ? result.value : { code: result.error.code, message: result.error.message };

const hot = [
  'event_app_mention',
  'event_app_mention_enterprise',
  'event_app_mention_in_thread',
  'event_message',
  'event_reaction_added',
  'command_link',
  'command_link_empty',
  'command_other',
  'command_unlink',
  'block_actions_link_channel',
];

/** block_actions from a button in a modal: the view (with its state) instead of a channel. */
function inModal(f: Fixture): Payload {
  const { channel: _channel, response_url: _url, ...payload } = f.payload;
  return { ...payload, view: fixture('view_submission_link').payload.view };
}

/** Values at the edges of what the schemas accept: id lengths, timestamps, URLs zod would rewrite. */
const edges = [
  'A'.repeat(128),
  'A'.repeat(129),
  '',
  '!',
  '~',
  '\u007f',
  '1.2',
  `${'9'.repeat(16)}.${'9'.repeat(16)}`,
  `${'9'.repeat(17)}.1`,
  '/',
  '/x',
  'https://hooks.slack.com/x',
  ' https://hooks.slack.com/x',
  'https://hooks.slack.com/x\n',
  'https://hooks.slack\t.com/x',
  'hooks.slack.com',
  'app_mention',
  'message',
  'reaction_added',
  'link_shared',
  'block_actions',
  null,
  undefined,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  1764100000.5,
  [],
  {},
  { id: 'X0' },
  { a: {} },
  { a: { b: [] } },
];

/** A hot fixture (or block_actions in a modal) with one to three leaves set to edge values. */
const edgeCases = fc.constantFrom(...hot, 'modal').chain((name) => {
  const f = fixture(name === 'modal' ? 'block_actions_link_channel' : name);
  const base = name === 'modal' ? inModal(f) : f.payload;
  const mutation = fc.tuple(fc.constantFrom(...pathsOf(base)), fc.constantFrom(...edges)).map(
    ([path, value]): Mutation => ({
      op: 'set',
      path,
      value,
      label: `${path.join('.')} = ${String(value)}`,
    }),
  );
  return fc.array(mutation, { minLength: 0, maxLength: 3 }).map((mutations) => ({
    name,
    kind: f.kind,
    payload: mutate(base, mutations),
    [fc.toStringMethod]: () => `${name}: ${mutations.map((m) => m.label).join('; ') || 'as is'}`,
  }));
});

const mutated = fc.oneof(
  mutatedFixture(hot),
  mutatedFixture(['block_actions_link_channel'], inModal),
  edgeCases,
);

describe('the guards of the hot kinds', () => {
  it.each(hot)('accept %s as Slack sends it, so it skips zod', (name) => {
    const f = fixture(name);
    expect(pairs[f.kind].guard(f.payload)).toBe(true);
  });

  it('accept block_actions from a modal, view state and all', () => {
    expect(isBlockActions(inModal(fixture('block_actions_link_channel')))).toBe(true);
  });

  it('accept exactly what zod accepts and returns unchanged, for mutated fixtures', () => {
    fc.assert(
      fc.property(mutated, (c) => {
        const pair = pairs[c.kind];
        expect(pair.guard(c.payload)).toBe(pair.zod(c.payload));
      }),
      { seed: FC_SEED, numRuns: RUNS },
    );
  });

  it('leave zod to word every refusal, so normalize gives the same result either way', () => {
    fc.assert(
      fc.property(mutated, (c) => {
        const { lift } = pairs[c.kind];
        expect(outcome(lift(c.payload, retry))).toStrictEqual(outcome(lift(viaZod(c.payload), retry)));
      }),
      { seed: FC_SEED, numRuns: RUNS },
    );
  });

  it.each(fixtureNames())('give the same event for %s as zod does', (name) => {
    const f = fixture(name);
    const { lift } = pairs[f.kind];
    expect(outcome(lift(f.payload, retry))).toStrictEqual(outcome(lift(viaZod(f.payload), retry)));
  });

  it('send an own __proto__ key to zod, which drops it', () => {
    const body = JSON.stringify(fixture('event_app_mention').payload);
    const withProto = JSON.parse(body.replace('"event":{', '"event":{"__proto__":{"x":1},'));
    expect(Object.hasOwn(withProto.event, '__proto__')).toBe(true);
    expect(isAppMention(withProto.event)).toBe(false);
    const result = fromEventCallback(withProto, retry);
    expect(
      result.ok && result.value.kind === 'event' && Object.hasOwn(result.value.payload, '__proto__'),
    ).toBe(false);
  });

  it('send a command without text to zod, which supplies the empty default', () => {
    const { text: _text, ...payload } = fixture('command_link').payload;
    expect(isSlashCommand(payload)).toBe(false);
    const result = fromCommand(payload, retry);
    expect(result.ok && result.value.kind === 'command' && result.value.payload.text).toBe('');
  });
});

/** Every fixture as a Socket Mode envelope, with one to three of the envelope's own fields set to edge values. */
const envelopes = fc.constantFrom(...fixtureNames()).chain((name) => {
  const envelope = socketForm(fixture(name), { retryAttempt: 1, retryReason: 'timeout' });
  const keys = [...Object.keys(envelope), 'retry_attempt', 'retry_reason'];
  const values = [...edges, 0, -1, -0, 2 ** 53, 3.5, true, 'events_api', 'slash_commands', 'interactive'];
  const mutation = fc
    .tuple(fc.constantFrom(...keys), fc.constantFrom(...values))
    .map(([key, value]): Mutation => ({ op: 'set', path: [key], value, label: `${key} = ${String(value)}` }));
  return fc.array(mutation, { minLength: 0, maxLength: 3 }).map((mutations) => ({
    envelope: mutate(envelope, mutations),
    [fc.toStringMethod]: () => `${name}: ${mutations.map((m) => m.label).join('; ') || 'as is'}`,
  }));
});

describe('the Socket Mode envelope guard', () => {
  it.each(fixtureNames())('accepts %s in its envelope', (name) => {
    expect(isSocketEnvelope(socketForm(fixture(name)))).toBe(true);
  });

  it('accepts exactly what zod accepts and returns unchanged, and normalize gives the same either way', () => {
    fc.assert(
      fc.property(envelopes, ({ envelope }) => {
        expect(isSocketEnvelope(envelope)).toBe(unchangedBy(SocketEnvelopeSchema, envelope));
        const either = (result: ReturnType<typeof normalizeEnvelope>) =>
          result.ok ? result.value : { code: result.error.code, message: result.error.message };
        expect(either(normalizeEnvelope(envelope))).toStrictEqual(
          either(normalizeEnvelope(viaZod(envelope))),
        );
      }),
      { seed: FC_SEED, numRuns: RUNS },
    );
  });
});
