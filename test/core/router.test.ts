import { describe, expect, it, vi } from 'vitest';
import { testContext } from '../../src/app/testing.js';
import { ack, api } from '../../src/core/action.js';
import type { Logger } from '../../src/core/context.js';
import { Router } from '../../src/core/router.js';
import { fixtureEvent } from '../helpers/events.js';

const event = fixtureEvent;
type LogFn = (message: string, fields?: Record<string, unknown>) => void;
const silent = () =>
  ({
    debug: vi.fn<LogFn>(),
    info: vi.fn<LogFn>(),
    warn: vi.fn<LogFn>(),
    error: vi.fn<LogFn>(),
  }) satisfies Logger;

describe('Router', () => {
  it('acks and ignores an event nobody handles', async () => {
    const routed = await new Router(silent()).dispatch(event('event_reaction_added'), testContext());
    expect(routed).toEqual({ ack: null, effects: [], handler: null, error: null });
  });

  it('splits a handler result into the ack body and the effects', async () => {
    const post = api('chat.postMessage', { channel: 'C1', text: 'hi' });
    const router = new Router(silent()).on('command', '/link', () => [ack.message('done'), post], {
      calls: ['chat.postMessage'],
    });
    expect(await router.dispatch(event('command_link'), testContext())).toEqual({
      ack: { response_type: 'ephemeral', text: 'done' },
      effects: [post],
      handler: 'command:/link',
      error: null,
    });
  });

  it('routes an Events API event by its type with the typed payload', async () => {
    const router = new Router(silent()).on(
      'event',
      'app_mention',
      (e) => [api('chat.postMessage', { channel: e.payload.channel, text: e.payload.text })],
      { calls: ['chat.postMessage'] },
    );
    const routed = await router.dispatch(event('event_app_mention'), testContext());
    expect(routed.effects).toEqual([
      {
        type: 'api',
        method: 'chat.postMessage',
        args: { channel: 'C0CHAN001', text: '<@U0BOT0001> which org is this?' },
      },
    ]);
  });

  it('logs a handler that throws with the delivery id, and still acks', async () => {
    const logger = silent();
    const router = new Router(logger).on('command', '/link', () => {
      throw new Error('boom');
    });
    const routed = await router.dispatch(event('command_link'), testContext());
    expect(routed).toMatchObject({
      ack: null,
      effects: [],
      handler: 'command:/link',
      error: { code: 'handler_failed' },
    });
    expect(logger.error).toHaveBeenCalledWith('handler command:/link threw', {
      deliveryId: 'command:T0001ACME:1000.2000.faketrigger01',
      code: 'handler_failed',
      cause: 'boom',
    });
  });

  it('reports an ack body on a kind that is acked empty', async () => {
    const router = new Router(silent()).on('event', 'app_mention', () => [ack.message('no')]);
    const routed = await router.dispatch(event('event_app_mention'), testContext());
    expect(routed.error?.code).toBe('ack_not_allowed');
    expect(routed.error?.message).toBe(
      'handler event:app_mention returned an ack body, but a event is acked empty',
    );
    expect(routed.effects).toEqual([]);
  });

  it('reports an ack body meant for another kind', async () => {
    const router = new Router(silent()).on('command', '/link', () => [ack.options([])]);
    const routed = await router.dispatch(event('command_link'), testContext());
    expect(routed.error?.message).toBe(
      'handler command:/link returned an ack body for options, but this is a command',
    );
  });

  it('reports two acks', async () => {
    const router = new Router(silent()).on('command', '/link', () => [ack.message('a'), ack.message('b')]);
    expect((await router.dispatch(event('command_link'), testContext())).error?.code).toBe('several_acks');
  });

  it('refuses a second handler for the same trigger', () => {
    const router = new Router(silent()).on('command', '/link', () => []);
    expect(() => router.on('command', '/link', () => [])).toThrow(
      'a handler for command:/link is already registered',
    );
  });

  it('lists its routes', () => {
    const router = new Router(silent()).on('command', '/link', () => []).on('event', 'app_mention', () => []);
    expect(router.routes()).toEqual(['command:/link', 'event:app_mention']);
  });

  it('has builders for every view_submission response_action', () => {
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 't' }, blocks: [] };
    expect([ack.update(view), ack.push(view), ack.clear()].map((a) => a.body)).toEqual([
      { response_action: 'update', view },
      { response_action: 'push', view },
      { response_action: 'clear' },
    ]);
  });
});
