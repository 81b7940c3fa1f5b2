import { describe, expect, it, vi } from 'vitest';
import { testContext } from '../../src/app/testing.js';
import { api } from '../../src/core/action.js';
import type { Logger } from '../../src/core/context.js';
import type { NormalizedEvent } from '../../src/core/event.js';
import { normalizeEnvelope, normalizeHttp } from '../../src/core/normalize.js';
import { Router } from '../../src/core/router.js';
import { fixture, httpForm, socketForm } from '../helpers/fixtures.js';

function viaHttp(name: string): NormalizedEvent {
  const result = normalizeHttp(httpForm(fixture(name)));
  if (!result.ok) throw result.error;
  if (result.value.type !== 'event') throw new Error(`expected an event, got ${result.value.type}`);
  return result.value.event;
}

function viaSocket(name: string): NormalizedEvent {
  const result = normalizeEnvelope(socketForm(fixture(name)));
  if (!result.ok) throw result.error;
  return result.value.event;
}

const silent = (): Logger => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() });

describe('assistant and agent events', () => {
  it.each([
    ['event_assistant_thread_started', 'assistant_thread_started', 'D0DMCHAN01', 'U0USER001', 'Ev0ASTSTART1'],
    [
      'event_assistant_thread_context_changed',
      'assistant_thread_context_changed',
      'D0DMCHAN01',
      'U0USER001',
      'Ev0ASTCTX001',
    ],
    ['event_app_context_changed', 'app_context_changed', null, null, 'Ev0APPCTX001'],
    ['event_app_context_changed_in_dm', 'app_context_changed', 'D0DMCHAN01', 'U0USER001', 'Ev0APPCTX002'],
    ['event_agent_session_stopped', 'agent_session_stopped', 'D0DMCHAN01', 'U0USER001', 'Ev0AGSTOP001'],
    [
      'event_agent_session_title_changed',
      'agent_session_title_changed',
      'D0DMCHAN01',
      'U0USER001',
      'Ev0AGTITLE01',
    ],
  ])(
    'normalizes %s to %s in %s by %s, the same over HTTP and Socket Mode',
    (name, type, channel, user, id) => {
      const http = viaHttp(name);
      expect({ ...viaSocket(name), source: 'http' }).toEqual(http);
      expect(http).toMatchObject({
        kind: 'event',
        name: type,
        deliveryId: `event:${id}`,
        teamId: 'T0001ACME',
        channelId: channel,
        userId: user,
        eventId: id,
        payload: fixture(name).payload.event,
      });
    },
  );

  it('takes the channel and user of an assistant thread from assistant_thread, not from its context', () => {
    const event = viaHttp('event_assistant_thread_context_changed');
    expect([event.channelId, event.userId]).toEqual(['D0DMCHAN01', 'U0USER001']);
  });

  it('routes assistant_thread_started to a handler with the typed payload', async () => {
    const router = new Router(silent()).on(
      'event',
      'assistant_thread_started',
      (e) => [
        api('assistant.threads.setTitle', {
          channel_id: e.payload.assistant_thread.channel_id,
          thread_ts: e.payload.assistant_thread.thread_ts,
          title: `Asked from ${e.payload.assistant_thread.context.channel_id}`,
        }),
      ],
      { calls: ['assistant.threads.setTitle'] },
    );
    const routed = await router.dispatch(viaSocket('event_assistant_thread_started'), testContext());
    expect(routed.handler).toBe('event:assistant_thread_started');
    expect(routed.effects).toEqual([
      api('assistant.threads.setTitle', {
        channel_id: 'D0DMCHAN01',
        thread_ts: '1764100400.000100',
        title: 'Asked from C0CHAN001',
      }),
    ]);
  });

  it('routes agent_session_stopped with the streams Slack stopped', async () => {
    const stopped: string[][] = [];
    const router = new Router(silent()).on('event', 'agent_session_stopped', (e) => {
      stopped.push(e.payload.streaming_message_ts);
      return [];
    });
    await router.dispatch(viaHttp('event_agent_session_stopped'), testContext());
    expect(stopped).toEqual([['1764100410.000100']]);
  });
});
