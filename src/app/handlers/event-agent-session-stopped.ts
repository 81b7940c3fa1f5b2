import type { EventsApiEvent } from '../../core/event.js';
import { stopStream } from '../../core/stream.js';
import type { AppHandler } from '../types.js';

/** The user pressed stop: the answer streaming in that thread stops, keeping what was written. */
export const eventAgentSessionStopped = ((event) => [
  stopStream({ channel: event.payload.channel, thread_ts: event.payload.thread_ts }),
]) satisfies AppHandler<EventsApiEvent<'agent_session_stopped'>>;
