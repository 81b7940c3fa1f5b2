import type { StepOrigin } from './conversation.js';
import type { NormalizedEvent } from './event.js';

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && key in value ? Reflect.get(value, key) : undefined;

/** The thread a delivery belongs to: a message's `thread_ts` or `ts`, a button's message, a step's thread. */
export function threadOf(event: NormalizedEvent): string | null {
  switch (event.kind) {
    case 'event':
      return text(field(event.payload, 'thread_ts')) ?? text(field(event.payload, 'ts'));
    case 'block_action': {
      const container = event.payload.container;
      return text(field(container, 'thread_ts')) ?? text(field(container, 'message_ts'));
    }
    case 'message_shortcut':
      return text(field(event.payload.message, 'thread_ts')) ?? text(event.payload.message_ts);
    case 'step':
      return event.payload.threadTs;
    case 'command':
    case 'view_submission':
    case 'view_closed':
    case 'shortcut':
    case 'options':
    case 'interactive':
      return null;
    default:
      return unreachable(event);
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled delivery kind: ${JSON.stringify(value)}`);
}

/** Where a step of `event`'s effects comes from. */
export function originOf(event: NormalizedEvent): StepOrigin {
  return {
    deliveryId: event.deliveryId,
    teamId: event.teamId,
    enterpriseId: event.enterpriseId,
    channelId: event.channelId,
    userId: event.userId,
    threadTs: threadOf(event),
  };
}
