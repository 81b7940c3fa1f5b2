import { WebAPIPlatformError } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlackClients } from '../../src/slack/client.js';
import { keepAliveFetch } from '../../src/slack/keep-alive-fetch.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';

const fake = new FakeSlack();
const TOKEN = 'xoxb-streams';
let clients: SlackClients;

const call = (method: Parameters<SlackClients['call']>[1], args: object) =>
  clients.call(TOKEN, method, args) as Promise<Record<string, unknown>>;

/** The Web API error code a call fails with, or null. */
async function errorOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    if (error instanceof WebAPIPlatformError) return error.data.error;
    throw error;
  }
}

async function start(markdown_text?: string): Promise<string> {
  const reply = await call('chat.startStream', {
    channel: 'D1',
    thread_ts: '1764100000.000100',
    markdown_text,
  });
  return String(reply.ts);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await fake.start();
  clients = new SlackClients({ slackApiUrl: fake.apiUrl, fetch: keepAliveFetch(), retries: 0 });
});
afterEach(() => {
  fake.reset();
  fake.streamExpiryMs = 5 * 60_000;
});
afterAll(() => fake.stop());

describe('the fake Slack streams a message', () => {
  it('starts a stream in a thread and answers its channel and a fresh ts', async () => {
    const first = await call('chat.startStream', {
      channel: 'C1',
      thread_ts: '1764100000.000100',
      recipient_user_id: 'U1',
      recipient_team_id: 'T0001ACME',
    });
    const second = await call('chat.startStream', { channel: 'C1', thread_ts: '1764100000.000100' });
    expect(first).toEqual({ ok: true, channel: 'C1', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(second.ts).not.toBe(first.ts);
    expect(fake.stream(String(first.ts))).toEqual({
      channel: 'C1',
      ts: first.ts,
      threadTs: '1764100000.000100',
      recipientUserId: 'U1',
      recipientTeamId: 'T0001ACME',
      text: '',
      chunks: [],
      startedAt: expect.any(Number),
      stopped: false,
      stoppedAt: null,
      expired: false,
      blocks: null,
    });
    expect(fake.streams().map((stream) => stream.ts)).toEqual([first.ts, second.ts]);
  });

  it('appends each chunk to the text in order, with the time it arrived', async () => {
    const ts = await start('Hello');
    expect(await call('chat.appendStream', { channel: 'D1', ts, markdown_text: ', **world**' })).toEqual({
      ok: true,
      channel: 'D1',
      ts,
    });
    await call('chat.appendStream', { channel: 'D1', ts, markdown_text: '!' });
    const stream = fake.stream(ts);
    expect(stream?.text).toBe('Hello, **world**!');
    expect(stream?.chunks.map((chunk) => chunk.text)).toEqual(['Hello', ', **world**', '!']);
    const times = stream?.chunks.map((chunk) => chunk.at) ?? [];
    expect(times[0]).toBe(stream?.startedAt);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('takes the text of markdown_text chunks too', async () => {
    const ts = await start();
    await call('chat.appendStream', {
      channel: 'D1',
      ts,
      markdown_text: 'one ',
      chunks: [{ type: 'markdown_text', text: 'two' }],
    });
    expect(fake.stream(ts)?.text).toBe('one two');
  });

  it('stops a stream with its last text and keeps the final blocks', async () => {
    const ts = await start('The answer');
    const blocks = [
      { type: 'context_actions', elements: [{ type: 'feedback_buttons', action_id: 'feedback' }] },
    ];
    const reply = await call('chat.stopStream', { channel: 'D1', ts, markdown_text: ' is 42.', blocks });
    expect(reply).toEqual({
      ok: true,
      channel: 'D1',
      ts,
      message: {
        type: 'message',
        subtype: 'bot_message',
        text: 'The answer is 42.',
        ts,
        thread_ts: '1764100000.000100',
        bot_id: 'B0BOT0001',
        blocks,
      },
    });
    const stream = fake.stream(ts);
    expect([stream?.text, stream?.stopped, stream?.blocks, stream?.expired]).toEqual([
      'The answer is 42.',
      true,
      blocks,
      false,
    ]);
    expect(stream?.stoppedAt).toBe(stream?.chunks.at(-1)?.at);
  });

  it('records each stream call with its arguments decoded', async () => {
    const ts = await start('a');
    await call('chat.stopStream', { channel: 'D1', ts, blocks: [{ type: 'divider' }] });
    expect(fake.calls.map((c) => [c.method, c.token, c.args])).toEqual([
      ['chat.startStream', TOKEN, { channel: 'D1', thread_ts: '1764100000.000100', markdown_text: 'a' }],
      ['chat.stopStream', TOKEN, { channel: 'D1', ts, blocks: [{ type: 'divider' }] }],
    ]);
  });
});

describe('the fake Slack refuses stream calls as Slack does', () => {
  it('answers message_not_found for a ts it never started, or in another channel', async () => {
    const ts = await start('a');
    expect(
      await errorOf(call('chat.appendStream', { channel: 'D1', ts: '1.000001', markdown_text: 'b' })),
    ).toBe('message_not_found');
    expect(await errorOf(call('chat.appendStream', { channel: 'C9', ts, markdown_text: 'b' }))).toBe(
      'message_not_found',
    );
    expect(await errorOf(call('chat.stopStream', { channel: 'D1', ts: '1.000001' }))).toBe(
      'message_not_found',
    );
    expect(fake.stream(ts)?.text).toBe('a');
  });

  it('answers message_not_in_streaming_state to an append or a stop after the stop', async () => {
    const ts = await start('done');
    await call('chat.stopStream', { channel: 'D1', ts });
    expect(await errorOf(call('chat.appendStream', { channel: 'D1', ts, markdown_text: ' more' }))).toBe(
      'message_not_in_streaming_state',
    );
    expect(await errorOf(call('chat.stopStream', { channel: 'D1', ts, markdown_text: ' more' }))).toBe(
      'message_not_in_streaming_state',
    );
    expect(fake.stream(ts)?.text).toBe('done');
  });

  it('answers message_not_in_streaming_state once the stream is older than its expiry', async () => {
    fake.streamExpiryMs = 200;
    const ts = await start('early');
    await call('chat.appendStream', { channel: 'D1', ts, markdown_text: ', in time' });
    await sleep(250);
    expect(fake.stream(ts)?.expired).toBe(true);
    expect(await errorOf(call('chat.appendStream', { channel: 'D1', ts, markdown_text: ', too late' }))).toBe(
      'message_not_in_streaming_state',
    );
    expect(await errorOf(call('chat.stopStream', { channel: 'D1', ts }))).toBe(
      'message_not_in_streaming_state',
    );
    expect(fake.stream(ts)).toMatchObject({ text: 'early, in time', stopped: false, expired: true });
  });

  it('expires a stream five minutes after its start unless told otherwise', () => {
    expect(new FakeSlack().streamExpiryMs).toBe(300_000);
    expect(new FakeSlack({ streamExpiryMs: 200 }).streamExpiryMs).toBe(200);
  });

  it('takes a chunk of 12,000 characters and refuses one of 12,001 with msg_too_long', async () => {
    const ts = await start();
    await call('chat.appendStream', { channel: 'D1', ts, markdown_text: 'x'.repeat(12_000) });
    expect(
      await errorOf(call('chat.appendStream', { channel: 'D1', ts, markdown_text: 'y'.repeat(12_001) })),
    ).toBe('msg_too_long');
    expect(await errorOf(start('z'.repeat(12_001)))).toBe('msg_too_long');
    expect(
      await errorOf(call('chat.stopStream', { channel: 'D1', ts, markdown_text: 'y'.repeat(12_001) })),
    ).toBe('msg_too_long');
    expect(fake.stream(ts)?.text).toBe('x'.repeat(12_000));
    expect(fake.streams()).toHaveLength(1);
  });

  it('answers no_text to an append with nothing to append', async () => {
    const ts = await start('a');
    expect(await errorOf(call('chat.appendStream', { channel: 'D1', ts }))).toBe('no_text');
  });

  it('lets a scripted reply win over the model, leaving the stream as it was', async () => {
    const ts = await start('a');
    fake.on('chat.appendStream', () => ({ body: { ok: false, error: 'ratelimited' } }));
    expect(await errorOf(call('chat.appendStream', { channel: 'D1', ts, markdown_text: 'b' }))).toBe(
      'ratelimited',
    );
    expect(fake.stream(ts)?.chunks).toHaveLength(1);
  });

  it('forgets its streams on reset', async () => {
    const ts = await start('a');
    fake.reset();
    expect([fake.streams(), fake.stream(ts)]).toEqual([[], undefined]);
    expect(await errorOf(call('chat.appendStream', { channel: 'D1', ts, markdown_text: 'b' }))).toBe(
      'message_not_found',
    );
  });
});

describe('the fake Slack records assistant and agent session calls', () => {
  it('answers ok and records each with its arguments decoded', async () => {
    const prompts = [{ title: 'Summarize', message: 'Summarize this channel' }];
    const sent: [Parameters<SlackClients['call']>[1], object][] = [
      [
        'assistant.threads.setStatus',
        {
          channel_id: 'D1',
          thread_ts: '1.000100',
          status: 'is thinking…',
          loading_messages: ['Reading', 'Writing'],
        },
      ],
      [
        'assistant.threads.setSuggestedPrompts',
        { channel_id: 'D1', thread_ts: '1.000100', title: 'Try', prompts },
      ],
      ['assistant.threads.setTitle', { channel_id: 'D1', thread_ts: '1.000100', title: 'Org Linker' }],
      ['agents.sessions.setStatus', { channel_id: 'D1', thread_ts: '1.000100', status: 'processing' }],
      ['agents.sessions.rename', { channel_id: 'D1', thread_ts: '1.000100', title: 'Acme [draft]' }],
    ];
    for (const [method, args] of sent) expect(await call(method, args)).toEqual({ ok: true });
    expect(fake.calls.map((c) => [c.method, c.args])).toEqual(sent);
    expect(fake.streams()).toEqual([]);
  });
});
