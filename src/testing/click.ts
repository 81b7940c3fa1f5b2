import type { AckBody, Effect } from '../core/action.js';
import type { NormalizedEvent } from '../core/event.js';
import { builders, type Container, DEFAULTS } from './build.js';
import type { Fixture } from './fixtures.js';

/** What a handler answered: `runHandler`'s result, or one delivery of `runFlow`. */
export interface Answer {
  ack: AckBody | null;
  effects: readonly Effect[];
  /** The delivery answered (`runHandler` and `runFlow` give it): the click comes from its user and channel. */
  event?: NormalizedEvent;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** The element with `actionId` in `blocks`, and the block it sits in. */
function find(blocks: unknown, actionId: string): { element: Json; blockId: string | undefined } | null {
  if (!Array.isArray(blocks)) return null;
  for (const block of blocks) {
    const walk = (value: unknown): Json | null => {
      if (Array.isArray(value)) {
        for (const item of value) {
          const found = walk(item);
          if (found) return found;
        }
        return null;
      }
      if (!isObject(value)) return null;
      if (value.action_id === actionId) return value;
      return walk(Object.values(value));
    };
    const element = walk(block);
    if (element) return { element, blockId: isObject(block) ? stringOr(block.block_id) : undefined };
  }
  return null;
}
const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Every surface in an answer that can hold blocks, with where a click on it comes from. */
function surfaces(answer: Answer): { blocks: unknown; container: Container; what: string }[] {
  const channel = answer.event?.channelId ?? DEFAULTS.channel;
  const out: { blocks: unknown; container: Container; what: string }[] = [];
  const ack: unknown = answer.ack;
  if (isObject(ack)) {
    if ('blocks' in ack)
      out.push({
        blocks: ack.blocks,
        container: { type: 'message', channel, ephemeral: true },
        what: 'the ack',
      });
    if (isObject(ack.view))
      out.push({ blocks: ack.view.blocks, container: { type: 'view', view: ack.view }, what: 'the ack' });
  }
  for (const effect of answer.effects) {
    if (effect.type === 'respond') {
      const ephemeral = effect.body.response_type !== 'in_channel';
      out.push({
        blocks: effect.body.blocks,
        container: { type: 'message', channel, ephemeral },
        what: 'respond',
      });
    }
    if (effect.type !== 'api' || !isObject(effect.args)) continue;
    const args: Json = { ...effect.args };
    if (isObject(args.view)) {
      const view = args.view;
      out.push({ blocks: view.blocks, container: { type: 'view', view }, what: effect.method });
    } else if (Array.isArray(args.blocks)) {
      const ephemeral = effect.method === 'chat.postEphemeral';
      const on = stringOr(args.channel) ?? channel;
      out.push({
        blocks: args.blocks,
        container: { type: 'message', channel: on, ephemeral },
        what: effect.method,
      });
    }
  }
  return out;
}

/**
 * The `block_actions` delivery Slack sends when the user clicks the element `actionId` in an
 * answer: in its ack (a command's message, a modal), a posted or ephemeral message, a `respond`, or
 * a view opened or published. Its value, block id, channel or view come from there; its user and
 * workspace from the answered delivery. Throws, naming the action ids it saw, when there is none.
 * @example const clicked = await runHandler(router, click(await runHandler(router, build.command('/orgstatus'), ctx), 'refresh'), ctx)
 */
export function click(answer: Answer, actionId: string, build = builders()): Fixture {
  const seen: string[] = [];
  for (const surface of surfaces(answer)) {
    const found = find(surface.blocks, actionId);
    if (!found) {
      seen.push(...ids(surface.blocks).map((id) => `${id} (${surface.what})`));
      continue;
    }
    const { element, blockId } = found;
    const container: Container =
      surface.container.type === 'message' && Array.isArray(surface.blocks)
        ? { ...surface.container, blocks: surface.blocks }
        : surface.container;
    return build.blockActions(actionId, {
      team: answer.event?.teamId ?? undefined,
      user: answer.event?.userId ?? undefined,
      value: stringOr(element.value),
      blockId: blockId ?? 'b1',
      element: { ...element, type: stringOr(element.type) ?? 'button' },
      container,
    });
  }
  throw new Error(
    `click: no element with action_id ${actionId} in the answer (${seen.length > 0 ? `it has ${seen.join(', ')}` : 'it has no interactive elements'})`,
  );
}

/** The action ids in `blocks`. */
function ids(blocks: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isObject(value)) {
      if (typeof value.action_id === 'string') out.push(value.action_id);
      Object.values(value).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}
