import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketLink } from '../../src/socket/connection.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** Polls `condition` every 20 ms for up to 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 5_000) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function link(lines: string[]) {
  const log = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return new SocketLink({
    appToken: APP_TOKEN,
    slackApiUrl: fake.apiUrl,
    logger: { debug() {}, info: log('info'), warn: log('warn'), error: log('error') },
    onEnvelope: ({ ack }) => void ack(),
    onFatal: (error) => lines.push(`fatal ${error.message}`),
    tooManyBackoffMs: 200,
  });
}

describe('SocketLink', () => {
  it('backs off on too_many_websockets, says why, then connects again', async () => {
    const lines: string[] = [];
    const socket = link(lines);
    await socket.start();
    const before = fake.connections;
    fake.disconnect('too_many_websockets', 5_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.connections).toBe(before); // not straight away
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.connections).toBe(before + 1);
    expect(lines).toContain(
      "warn Slack refused another connection (too_many_websockets): something outside the processes sharing this database holds the app's connections (a dev:socket elsewhere?)",
    );
    await socket.stop();
  });

  it('reconnects at once when the socket drops, then acks on the new one', async () => {
    const lines: string[] = [];
    const socket = link(lines);
    await socket.start();
    const before = fake.connections;
    fake.dropSocket();
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.connections).toBe(before + 1);
    fake.sendEnvelope({ envelope_id: 'after-drop', type: 'events_api', payload: {} });
    await fake.waitFor(() => fake.envelopes.get('after-drop')?.ack !== undefined);
    expect(lines).toEqual(['warn socket: connection lost, reconnecting', 'info socket: reconnected']);
    await socket.stop();
  });

  it('gets a connection back when the next one fails during a refresh and the old one then closes', async () => {
    const lines: string[] = [];
    const socket = link(lines);
    await socket.start();
    const opens = fake.callsOf('apps.connections.open').length;
    fake.on('apps.connections.open', (_call, nth) =>
      nth === opens + 1 ? { delayMs: 400, body: { ok: false, error: 'internal_error' } } : undefined,
    );
    fake.disconnect('refresh_requested', 200);
    await until(() => lines.includes('info socket: reconnected') && fake.openSockets().length === 1);
    fake.sendEnvelope({ envelope_id: 'after-failed-refresh', type: 'events_api', payload: {} });
    await fake.waitFor(() => fake.envelopes.get('after-failed-refresh')?.ack !== undefined);
    expect(lines.some((l) => l.startsWith('warn socket: could not connect'))).toBe(true);
    await socket.stop();
  });
});
