import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture, socketForm } from '../helpers/fixtures.js';
import { socketStack } from '../helpers/socket-stack.js';

const BURST = 2_000;
const fake = new FakeSlack();
let stack: Awaited<ReturnType<typeof socketStack>>;

/**
 * Mention `i` of the burst: its own envelope, event id and ts, so each is a new delivery, in a channel
 * of its own (Slack's posting budget, about 1 a second per channel, would pace the replies).
 */
function mention(i: number) {
  const f = fixture('event_app_mention');
  const event = {
    ...(f.payload.event as Record<string, unknown>),
    channel: `C0BURST${String(i).padStart(4, '0')}`,
    ts: `1764400000.${String(i).padStart(6, '0')}`,
  };
  return socketForm(
    { ...f, payload: { ...f.payload, event_id: `EvBURST${i}`, event } },
    { envelopeId: `env-burst-${i}` },
  ) as Record<string, unknown> & { envelope_id: string };
}

/** Resolves once `done()` holds; fails after `ms` saying what `state()` was then. */
async function until(done: () => boolean, ms: number, state: () => string): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error(`not done in ${ms} ms: ${state()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  await fake.start();
  stack = await socketStack(fake);
});
afterAll(async () => {
  await stack.shim.stop();
  await stack.database.close();
  await fake.stop();
});

describe('a burst over Socket Mode', () => {
  it(`acks all ${BURST} envelopes pushed at once when the store keeps up, each once and within 3 s`, async () => {
    const envelopes = Array.from({ length: BURST }, (_, i) => mention(i));
    for (const envelope of envelopes) fake.sendEnvelope(envelope);
    await until(
      () => fake.unacked().length === 0,
      30_000,
      () => `${fake.unacked().length} unacked`,
    );
    const sent = [...fake.envelopes.values()];
    const slowest = Math.max(...sent.map((s) => (s.ack?.at ?? Number.POSITIVE_INFINITY) - s.sentAt));
    console.info(`socket burst: ${BURST} acked, slowest ack ${slowest} ms after it was sent`);
    expect(sent.filter((s) => s.deliveries !== 1)).toEqual([]); // none had to be redelivered
    expect(fake.acks.length).toBe(BURST);
    expect(slowest).toBeLessThan(3_000);
    const replies = () => fake.callsOf('chat.postMessage').length;
    await until(
      () => replies() >= BURST,
      30_000,
      () => `${replies()} replies`,
    );
    const threads = new Set(fake.callsOf('chat.postMessage').map((c) => c.args.thread_ts));
    expect(threads.size).toBe(BURST);
  }, 60_000);
});
