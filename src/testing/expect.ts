import type { ApiArgs, ApiCall, ApiMethod, CommandAckBody } from '../core/action.js';
import type { Answer } from './click.js';

// Small checks for a handler's answer. They throw a plain Error naming what was there instead, so
// they work under vitest, node:test or anything else; each returns what it found, typed.

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const show = (value: unknown) => JSON.stringify(value);

/** `actual` holds every field of `expected`, recursively (arrays: element by element, same length). */
export function matchesPartly(actual: unknown, expected: unknown): boolean {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual);
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, i) => matchesPartly(actual[i], item))
    );
  if (isObject(expected))
    return (
      isObject(actual) && Object.entries(expected).every(([key, value]) => matchesPartly(actual[key], value))
    );
  return Object.is(actual, expected);
}

/** Deep-partial arguments to match, where any string may be a RegExp. */
export type Partly<T> = T extends string
  ? string | RegExp
  : T extends readonly (infer I)[]
    ? readonly Partly<I>[]
    : T extends object
      ? { [K in keyof T]?: Partly<T[K]> }
      : T;

/**
 * The ack is a command's reply shown only to the user (Slack's default), whose text is or matches
 * `text` when given. Returns the body.
 * @example expectEphemeralAck(answer, /Acme Corp/)
 */
export function expectEphemeralAck(answer: Answer, text?: string | RegExp): CommandAckBody {
  const ack: unknown = answer.ack;
  if (!isObject(ack) || 'response_action' in ack || 'options' in ack || !('text' in ack || 'blocks' in ack))
    throw new Error(`expected an ephemeral message as the ack, got ${show(ack)}`);
  if (ack.response_type === 'in_channel')
    throw new Error(`expected an ephemeral ack, got one in_channel: ${show(ack)}`);
  if (text !== undefined && !matchesPartly(ack.text, text))
    throw new Error(`expected the ack's text to be ${String(text)}, got ${show(ack.text)}`);
  const body: CommandAckBody = {};
  if (typeof ack.text === 'string') body.text = ack.text;
  if (Array.isArray(ack.blocks)) body.blocks = ack.blocks;
  return { response_type: 'ephemeral', ...body };
}

/**
 * One of the effects is a `method` call whose arguments hold `args` (deep-partial; strings may be
 * RegExps). Returns that call, its arguments typed as the method's.
 * @example expectApiCall(answer, 'chat.postEphemeral', { channel: 'C0CHAN001', text: /Acme/ })
 */
export function expectApiCall<M extends ApiMethod>(
  answer: Answer,
  method: M,
  args?: Partly<ApiArgs<M>>,
): TypedCall<M> {
  const calls = answer.effects.filter((effect): effect is ApiCall => effect.type === 'api');
  // `api(method, args)` typed the arguments as the method's when the handler built the call.
  const isIt = (call: ApiCall): call is TypedCall<M> =>
    call.method === method && matchesPartly(call.args, args ?? {});
  const found = calls.find(isIt);
  if (!found) {
    const seen = calls.map((call) => `${call.method} ${show(call.args)}`).join('; ') || 'no Web API calls';
    throw new Error(`expected a ${method} call with ${show(args)}; the answer has ${seen}`);
  }
  return found;
}

/** A Web API call with its arguments typed as its method's. */
export type TypedCall<M extends ApiMethod> = ApiCall<M> & { args: ApiArgs<M> };
