/**
 * The test kit's `runFlow`: a whole conversation (steps, tasks, timers) run offline, each delivery
 * asserted like a handler's.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { api, later } from '../../src/core/action.js';
import { defineApp } from '../../src/core/app.js';
import type { AppTypes, HandlerContext } from '../../src/core/context.js';
import { chainable, type TaskEffect } from '../../src/core/conversation.js';
import { Router } from '../../src/core/router.js';
import type { StoreHandle } from '../../src/db/database.js';
import { eventOf, runFlow } from '../../src/testing/index.js';
import { fixture } from '../helpers/fixtures.js';
import { quiet } from '../helpers/http-stack.js';

interface Flow extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const task = (name: string, input: unknown) => chainable<TaskEffect>({ type: 'task', name, input });
const Posted = z.object({ ts: z.string(), channel: z.string() });
const Carried = z.object({ slug: z.string(), channel: z.string(), ts: z.string() });

const router = new Router<Flow>(quiet)
  .on(
    'event',
    'app_mention',
    (event) => [
      api('chat.postMessage', { channel: event.payload.channel, text: 'Looking up acme…' })
        .then('posted', { slug: 'acme' })
        .catch('not-posted', { slug: 'acme' }),
    ],
    { calls: ['chat.postMessage'] },
  )
  .on('step', 'posted', (event) => {
    const posted = Posted.parse(event.payload.result);
    return [
      task('summary', { slug: 'acme' })
        .then('summarized', { slug: 'acme', ...posted })
        .catch('unsummarized', { slug: 'acme', ...posted }),
    ];
  })
  .on(
    'step',
    'summarized',
    (event) => {
      const { channel, ts } = Carried.parse(event.payload.data);
      const { text } = z.object({ text: z.string() }).parse(event.payload.result);
      return [api('chat.update', { channel, ts, text })];
    },
    { calls: ['chat.update'] },
  )
  .on(
    'step',
    'unsummarized',
    (event) => {
      const { channel, ts, slug } = Carried.parse(event.payload.data);
      return [api('chat.update', { channel, ts, text: `Could not read ${slug}: ${event.payload.error}` })];
    },
    { calls: ['chat.update'] },
  )
  .on('step', 'not-posted', () => [])
  .on('command', '/weather', (event) => [
    later('10m', 'remind', { user: event.payload.user_id, channel: event.payload.channel_id }),
  ])
  .on(
    'step',
    'remind',
    (event, ctx) => {
      const { channel, user } = z.object({ channel: z.string(), user: z.string() }).parse(event.payload.data);
      return [api('chat.postEphemeral', { channel, user, text: `Reminder (${ctx.now().toISOString()})` })];
    },
    { calls: ['chat.postEphemeral'] },
  );

const NOW = new Date('2025-11-25T20:00:00.000Z');
const ctx: HandlerContext<Flow> = { lookups: {}, settings: {}, now: () => NOW };
const mention = () => fixture('event_app_mention');
const MENTION = 'app_mention:T0001ACME:C0CHAN001:1764100000.000100';
const WEATHER = 'command:T0001ACME:1000.2000.faketrigger05';
const posted = () => ({ ok: true, channel: 'C1', ts: '1.000001' });
const summary = () => ({ text: 'Acme Corp: 12 channels linked' });

/** The origin the router stamps on an effect of the mention, or of a step of it. */
const origin = (deliveryId: string) => ({
  deliveryId,
  teamId: 'T0001ACME',
  enterpriseId: null,
  channelId: 'C0CHAN001',
  userId: 'U0USER001',
  threadTs: '1764100000.000100',
});

describe('runFlow', () => {
  it('posts, feeds the posted ts to a task, and updates that same message with its output', async () => {
    const flow = await runFlow(router, mention(), ctx, {
      results: { 'chat.postMessage': posted },
      tasks: { summary },
    });
    expect(flow.map((d) => [d.event.deliveryId, d.handler, d.ack, d.error])).toEqual([
      [MENTION, 'event:app_mention', null, null],
      ['step:1', 'step:posted', null, null],
      ['step:2', 'step:summarized', null, null],
    ]);
    expect(flow.map((d) => d.effects)).toEqual([
      [
        {
          type: 'api',
          method: 'chat.postMessage',
          args: { channel: 'C0CHAN001', text: 'Looking up acme…' },
          next: {
            done: { step: 'posted', data: { slug: 'acme' } },
            failed: { step: 'not-posted', data: { slug: 'acme' } },
            origin: origin(MENTION),
          },
        },
      ],
      [
        {
          type: 'task',
          name: 'summary',
          input: { slug: 'acme' },
          next: {
            done: { step: 'summarized', data: { slug: 'acme', ts: '1.000001', channel: 'C1' } },
            failed: { step: 'unsummarized', data: { slug: 'acme', ts: '1.000001', channel: 'C1' } },
            origin: origin('step:1'),
          },
        },
      ],
      [
        {
          type: 'api',
          method: 'chat.update',
          args: { channel: 'C1', ts: '1.000001', text: 'Acme Corp: 12 channels linked' },
        },
      ],
    ]);
  });

  it('delivers each step as the executor would: its key, workspace, thread, result and data', async () => {
    const flow = await runFlow(router, mention(), ctx, {
      results: { 'chat.postMessage': posted },
      tasks: { summary },
    });
    expect(flow[1]?.event).toEqual({
      deliveryId: 'step:1',
      teamId: 'T0001ACME',
      enterpriseId: null,
      userId: 'U0USER001',
      channelId: 'C0CHAN001',
      responseUrl: null,
      retryNum: 0,
      retryReason: null,
      source: 'step',
      kind: 'step',
      name: 'posted',
      payload: {
        result: { ok: true, channel: 'C1', ts: '1.000001' },
        error: null,
        data: { slug: 'acme' },
        effect: 'chat.postMessage',
        from: MENTION,
        threadTs: '1764100000.000100',
      },
    });
    expect(flow[2]?.event.payload).toEqual({
      result: { text: 'Acme Corp: 12 channels linked' },
      error: null,
      data: { slug: 'acme', ts: '1.000001', channel: 'C1' },
      effect: 'task summary',
      from: 'step:1',
      threadTs: '1764100000.000100',
    });
  });

  it('answers Web API calls with the dry run’s synthetic results unless told otherwise', async () => {
    const flow = await runFlow(router, mention(), ctx, { tasks: { summary } });
    const step = flow[1]?.event;
    if (step?.kind !== 'step') throw new Error('no step');
    const result = Posted.parse(step.payload.result);
    expect(result.channel).toBe('C0CHAN001');
    expect(result.ts).toMatch(/^1764100800\.\d{6}$/); // NOW, in seconds
    expect(flow[2]?.effects).toEqual([
      {
        type: 'api',
        method: 'chat.update',
        args: { channel: 'C0CHAN001', ts: result.ts, text: 'Acme Corp: 12 channels linked' },
      },
    ]);
  });

  it('runs the .catch step when the fake task throws', async () => {
    const flow = await runFlow(router, mention(), ctx, {
      results: { 'chat.postMessage': posted },
      tasks: {
        summary: () => {
          throw new Error('product API answered 503');
        },
      },
    });
    expect(flow.map((d) => d.handler)).toEqual(['event:app_mention', 'step:posted', 'step:unsummarized']);
    expect(flow[2]?.event.payload).toMatchObject({ result: null, error: 'product API answered 503' });
    expect(flow[2]?.effects).toEqual([
      {
        type: 'api',
        method: 'chat.update',
        args: { channel: 'C1', ts: '1.000001', text: 'Could not read acme: product API answered 503' },
      },
    ]);
  });

  it('runs the .catch step when a fake Web API result is an Error', async () => {
    const flow = await runFlow(router, mention(), ctx, {
      results: { 'chat.postMessage': () => new Error('channel_not_found') },
    });
    expect(flow.map((d) => [d.event.deliveryId, d.handler, d.effects])).toEqual([
      [MENTION, 'event:app_mention', [expect.objectContaining({ method: 'chat.postMessage' })]],
      ['step:1', 'step:not-posted', []],
    ]);
    expect(flow[1]?.event.payload).toEqual({
      result: null,
      error: 'channel_not_found',
      data: { slug: 'acme' },
      effect: 'chat.postMessage',
      from: MENTION,
      threadTs: '1764100000.000100',
    });
  });

  it('gives the fake Web API result the call’s arguments', async () => {
    const seen: unknown[] = [];
    await runFlow(router, mention(), ctx, {
      results: {
        'chat.postMessage': (args) => {
          seen.push(args);
          return posted();
        },
      },
      tasks: { summary },
    });
    expect(seen).toEqual([{ channel: 'C0CHAN001', text: 'Looking up acme…' }]);
  });

  it('delivers a timer at once, with the clock moved on to when it was due', async () => {
    const flow = await runFlow(router, fixture('command_other'), ctx);
    expect(flow.map((d) => [d.event.deliveryId, d.handler])).toEqual([
      [WEATHER, 'command:/weather'],
      ['step:1', 'step:remind'],
    ]);
    expect(flow[0]?.effects).toEqual([
      {
        type: 'later',
        delayMs: 600_000,
        dueAt: NOW.getTime() + 600_000,
        next: {
          done: { step: 'remind', data: { user: 'U0USER001', channel: 'C0CHAN001' } },
          origin: { ...origin(WEATHER), threadTs: null },
        },
      },
    ]);
    expect(flow[1]?.event.payload).toMatchObject({
      result: { dueAt: '2025-11-25T20:10:00.000Z' },
      effect: 'later',
    });
    expect(flow[1]?.effects).toEqual([
      {
        type: 'api',
        method: 'chat.postEphemeral',
        args: { channel: 'C0CHAN001', user: 'U0USER001', text: 'Reminder (2025-11-25T20:10:00.000Z)' },
      },
    ]);
  });

  it('runs steps breadth-first, and a timer after everything due before it', async () => {
    const fan = new Router<Flow>(quiet)
      .on(
        'command',
        '/weather',
        (event) => [
          later('1m', 'late'),
          api('chat.postMessage', { channel: event.payload.channel_id, text: 'a' }).then('a'),
          api('chat.postMessage', { channel: event.payload.channel_id, text: 'b' }).then('b'),
        ],
        { calls: ['chat.postMessage'] },
      )
      .on('step', 'a', () => [task('deeper', null).then('a2')])
      .on('step', 'b', () => [])
      .on('step', 'a2', () => [])
      .on('step', 'late', () => []);
    const flow = await runFlow(fan, fixture('command_other'), ctx, { tasks: { deeper: () => 'deep' } });
    expect(flow.map((d) => [d.event.deliveryId, d.event.name])).toEqual([
      [WEATHER, '/weather'],
      ['step:2', 'a'],
      ['step:3', 'b'],
      ['step:4', 'a2'],
      ['step:1', 'late'],
    ]);
  });

  it('takes an app as well as a router, and a normalized event as well as a fixture', async () => {
    const app = defineApp<Flow, StoreHandle>({
      router,
      settings: () => ({}),
      lookups: () => ({}),
      writes: {
        schema: z.object({ type: z.literal('store'), op: z.literal('never') }),
        apply: async () => {},
      },
    });
    const flow = await runFlow(app, eventOf(mention()), ctx, { tasks: { summary } });
    expect(flow.map((d) => d.handler)).toEqual(['event:app_mention', 'step:posted', 'step:summarized']);
  });

  it('refuses a task it has no fake for, naming it', async () => {
    await expect(runFlow(router, mention(), ctx)).rejects.toThrow(
      'runFlow: no fake for task summary: pass tasks: { summary: (input) => output }',
    );
  });

  it('stops a flow that loops, naming its last steps', async () => {
    const looping = new Router<Flow>(quiet)
      .on('command', '/weather', () => [later('1s', 'ping')])
      .on('step', 'ping', () => [later('1s', 'ping')]);
    await expect(runFlow(looping, fixture('command_other'), ctx, { maxSteps: 3 })).rejects.toThrow(
      'runFlow: more than 3 steps, a loop? The last were /weather → ping → ping → ping → ping; pass maxSteps for a longer flow',
    );
    await expect(runFlow(looping, fixture('command_other'), ctx)).rejects.toThrow(
      /^runFlow: more than 100 steps/,
    );
  });

  it('delivers up to maxSteps steps', async () => {
    let left = 3;
    const counting = new Router<Flow>(quiet)
      .on('command', '/weather', () => [later('1s', 'ping')])
      .on('step', 'ping', () => (--left > 0 ? [later('1s', 'ping')] : []));
    const flow = await runFlow(counting, fixture('command_other'), ctx, { maxSteps: 3 });
    expect(flow.map((d) => [d.event.deliveryId, d.event.name])).toEqual([
      [WEATHER, '/weather'],
      ['step:1', 'ping'],
      ['step:2', 'ping'],
      ['step:3', 'ping'],
    ]);
  });
});
