import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture, socketForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { APP_TOKEN, socketStack } from '../helpers/socket-stack.js';

const fake = new FakeSlack();
let stack: Awaited<ReturnType<typeof socketStack>>;

/**
 * A mention envelope with its own event id and ts, so each is a new delivery; from 100 on in a
 * channel of its own (Slack's posting budget, about 1 a second per channel, would pace the replies).
 */
function mention(i: number, envelopeId = `env-mention-${i}`) {
  const f = fixture('event_app_mention');
  const base = f.payload.event as Record<string, unknown>;
  const event = {
    ...base,
    channel: i >= 100 ? `C0SOCK${String(i).padStart(4, '0')}` : base.channel,
    ts: `1764200000.${String(i).padStart(6, '0')}`,
  };
  return socketForm(
    { ...f, payload: { ...f.payload, event_id: `EvSOCK${i}`, event } },
    { envelopeId },
  ) as Record<string, unknown> & { envelope_id: string };
}

const ackOf = (id: string) => fake.envelopes.get(id)?.ack;

beforeAll(async () => {
  await fake.start();
  stack = await socketStack(fake);
});
afterEach(() => fake.reset());
afterAll(async () => {
  await stack.shim.stop();
  await stack.database.close();
  await fake.stop();
});

describe('the Socket Mode shim', () => {
  it('opens the connection with the app token', () => {
    expect(fake.callsOf('apps.connections.open').map((c) => c.token)).toEqual([APP_TOKEN]);
    expect(fake.connections).toBe(1);
  });

  it('acks a mention with its envelope id, then calls chat.postMessage with the bot token', async () => {
    fake.sendEnvelope(mention(1));
    await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'));
    const ack = ackOf('env-mention-1');
    const [post] = fake.callsOf('chat.postMessage');
    expect(ack?.payload).toEqual({});
    expect(post?.token).toBe(BOT_TOKEN);
    expect(post?.args).toMatchObject({ channel: 'C0CHAN001', thread_ts: '1764200000.000001' });
    expect(ack && post && ack.at <= post.at).toBe(true);
  });

  it('acks a slash command and a view_submission with their payloads', async () => {
    fake.sendEnvelope(
      socketForm(fixture('command_link_unknown'), { envelopeId: 'env-cmd' }) as { envelope_id: string },
    );
    fake.sendEnvelope(
      socketForm(fixture('view_submission_link_unknown'), { envelopeId: 'env-view' }) as {
        envelope_id: string;
      },
    );
    fake.sendEnvelope(
      socketForm(fixture('block_suggestion_org_picker'), { envelopeId: 'env-options' }) as {
        envelope_id: string;
      },
    );
    await fake.waitFor(() => fake.unacked().length === 0);
    expect(ackOf('env-cmd')?.payload).toEqual({
      response_type: 'ephemeral',
      text: 'There is no organization with the slug `nobody`.',
    });
    expect(ackOf('env-view')?.payload).toEqual({
      response_action: 'errors',
      errors: { org: 'There is no organization with the slug "gone".' },
    });
    expect(ackOf('env-options')?.payload).toEqual({
      options: [{ text: { type: 'plain_text', text: 'Acme Corp (acme)' }, value: 'acme' }],
    });
  });

  it('acks an envelope it cannot read, so Slack stops redelivering it', async () => {
    fake.sendEnvelope({ envelope_id: 'env-bad', type: 'events_api', payload: { type: 'event_callback' } });
    await fake.waitFor(() => ackOf('env-bad') !== undefined);
    expect(fake.calls).toEqual([]);
  });

  it('runs each effect once across a refresh_requested, with no moment without a socket', async () => {
    const before = fake.connections;
    for (let i = 100; i < 140; i++) {
      fake.sendEnvelope(mention(i));
      if (i === 115) fake.disconnect('refresh_requested', 300);
      await new Promise((r) => setTimeout(r, 10));
    }
    await fake.waitFor((calls) => calls.filter((c) => c.method === 'chat.postMessage').length >= 40, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    const threads = fake.callsOf('chat.postMessage').map((c) => c.args.thread_ts);
    expect(new Set(threads).size).toBe(40);
    expect(threads).toHaveLength(40);
    expect(fake.unacked()).toEqual([]);
    expect(fake.connections).toBe(before + 1);
    expect(fake.callsOf('apps.connections.open').map((c) => c.token)).toEqual([APP_TOKEN]);
    expect(fake.gaps).toEqual([]);
  });

  it('runs an envelope caught by a dropped socket exactly once after the reconnect', async () => {
    fake.sendEnvelope(mention(200));
    fake.dropSocket(); // before the ack can come back
    fake.sendEnvelope(mention(201));
    await fake.waitFor((calls) => calls.filter((c) => c.method === 'chat.postMessage').length >= 2, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      fake
        .callsOf('chat.postMessage')
        .map((c) => c.args.thread_ts)
        .sort(),
    ).toEqual(['1764200000.000200', '1764200000.000201']);
    expect(fake.unacked()).toEqual([]);
  });

  it('acks a redelivery of a known envelope and runs nothing again', async () => {
    fake.sendEnvelope(mention(300, 'env-300-a'));
    await fake.waitFor((calls) => calls.length === 1);
    fake.sendEnvelope({ ...mention(300, 'env-300-b'), retry_attempt: 1, retry_reason: 'timeout' });
    await fake.waitFor(() => ackOf('env-300-b') !== undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('leaves an envelope unacked while the database is down, and keeps running', async () => {
    const { openDatabase } = await import('../../src/db/open.js');
    const down = await openDatabase('memory://');
    await down.close();
    const other = new FakeSlack();
    await other.start();
    const broken = await socketStack(other, { database: down });
    try {
      other.sendEnvelope(mention(400, 'env-down'));
      await new Promise((r) => setTimeout(r, 300));
      expect(other.unacked().map((e) => e.envelope.envelope_id)).toEqual(['env-down']);
      expect(other.calls.filter((c) => c.method !== 'apps.connections.open')).toEqual([]);
      expect(broken.fatal).toEqual([]);
      expect(other.openSockets()).toHaveLength(1);
    } finally {
      await broken.shim.stop();
      await other.stop();
    }
  });
});
