/** Ask Org Linker: the assistant's handlers, and its answer task with the scripted model and its tool. */
import { describe, expect, it } from 'vitest';
import { scriptedAnswer } from '../../src/app/agent/model.js';
import { parseSettings } from '../../src/app/settings.js';
import { appTasks } from '../../src/app/tasks.js';
import { ACME, MemoryLookups, testContext } from '../../src/app/testing.js';
import type { StreamPart } from '../../src/core/stream.js';
import { routeFixture } from '../helpers/events.js';

const linked = () =>
  testContext(new MemoryLookups([ACME], [{ teamId: 'T0001ACME', channelId: 'C0CHAN001', slug: 'acme' }]));

describe('the assistant', () => {
  it('suggests a prompt about the organization of the channel the user is looking at', async () => {
    const routed = await routeFixture('event_assistant_thread_started', linked());
    expect(routed.effects).toEqual([
      {
        type: 'api',
        method: 'assistant.threads.setSuggestedPrompts',
        args: {
          channel_id: 'D0DMCHAN01',
          thread_ts: '1764100400.000100',
          title: 'Ask about Acme Corp',
          prompts: [
            { title: 'About Acme Corp', message: 'What is acme up to?' },
            { title: 'What can you do?', message: 'What can you do?' },
          ],
        },
      },
    ]);
  });

  it('answers a question with a status at once and a streamed answer after the ack', async () => {
    const routed = await routeFixture('event_message_im_assistant', linked());
    expect(routed.ack).toBeNull();
    expect(routed.effects).toEqual([
      {
        type: 'api',
        method: 'assistant.threads.setStatus',
        args: { channel_id: 'D0DMCHAN01', thread_ts: '1764100400.000100', status: 'is reading acme…' },
      },
      expect.objectContaining({
        type: 'stream',
        name: 'answer',
        input: { question: 'What is acme up to?', slug: 'acme' },
        to: {
          channel: 'D0DMCHAN01',
          thread_ts: '1764100400.000100',
          recipient_user_id: 'U0USER001',
          recipient_team_id: 'T0001ACME',
        },
        blocks: [expect.objectContaining({ type: 'context_actions' })],
      }),
    ]);
  });

  it('leaves messages outside an assistant thread alone (a channel message, the app’s own)', async () => {
    expect((await routeFixture('event_message', linked())).effects).toEqual([]);
  });

  it('stops the answer streaming in the thread when the user presses stop', async () => {
    const routed = await routeFixture('event_agent_session_stopped');
    expect(routed.effects).toEqual([
      { type: 'stop_stream', channel: 'D0DMCHAN01', thread_ts: '1764100400.000100' },
    ]);
  });
});

describe('the answer task, with no model set', () => {
  const settings = parseSettings({
    PRODUCT_API_URL: 'https://product.example/api',
    MODEL_SCRIPT_DELAY_MS: '0',
  });
  const fetcher: typeof fetch = async (input) =>
    String(input).endsWith('/orgs/acme')
      ? Response.json({ summary: 'all green' })
      : new Response('{"error":"not_found"}', { status: 404 });

  async function answer(input: unknown): Promise<StreamPart[]> {
    const opened = appTasks(settings, fetcher).answer.open(input, {
      signal: new AbortController().signal,
      idempotencyKey: 'stream:1',
      attempt: 1,
    });
    if (!opened.ok) throw new Error(opened.error);
    const parts: StreamPart[] = [];
    for await (const part of opened.parts) parts.push(part);
    return parts;
  }

  it('reads the organization with its tool (shown as a task) and streams the scripted answer', async () => {
    const parts = await answer({ question: 'What is acme up to?', slug: 'acme' });
    const tasks = parts.filter((p) => typeof p !== 'string');
    expect(tasks).toEqual([
      {
        type: 'task_update',
        id: 'call-1',
        title: 'Reading the organization from the product',
        status: 'in_progress',
      },
      {
        type: 'task_update',
        id: 'call-1',
        title: 'Reading the organization from the product',
        status: 'complete',
      },
    ]);
    const text = parts.filter((p) => typeof p === 'string').join('');
    expect(text).toBe(scriptedAnswer('acme', { summary: 'all green' }));
    expect(text).toContain('No model is set (MODEL_BASE_URL and MODEL_NAME)');
    expect(parts.filter((p) => typeof p === 'string').length).toBeGreaterThan(5); // in pieces, as a model streams
  });

  it('says what it could not read', async () => {
    const parts = await answer({ question: 'What is nobody up to?', slug: 'nobody' });
    expect(parts.filter((p) => typeof p === 'string').join('')).toContain('I could not read *nobody*');
  });

  it('refuses an input that does not fit its schema', () => {
    const opened = appTasks(settings, fetcher).answer.open(
      { question: '' },
      {
        signal: new AbortController().signal,
        idempotencyKey: 'stream:1',
        attempt: 1,
      },
    );
    expect(opened).toEqual({ ok: false, error: expect.stringMatching(/^input question/) });
  });
});

describe('model settings', () => {
  it('takes an OpenAI-compatible endpoint, and names the missing half of it', () => {
    expect(parseSettings({ MODEL_BASE_URL: 'https://api.example/v1', MODEL_NAME: 'm' }).model).toEqual({
      baseUrl: 'https://api.example/v1',
      name: 'm',
      apiKey: null,
    });
    expect(() => parseSettings({ MODEL_BASE_URL: 'https://api.example/v1' })).toThrow(
      /^MODEL_NAME is not set/,
    );
  });
});
