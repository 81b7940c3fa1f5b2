import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { type RunningShim, startSocketShim } from '../../src/runtime/socket-shim.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';

const PORT = await freePort();
const fake = new FakeSlack({ maxConnections: 3 });
let shim: RunningShim;
let database: DatabaseHandle;
const lines: string[] = [];

beforeAll(async () => {
  await fake.start();
  database = await openDatabase('memory://');
  await migrate(database);
  const app = linkApp(quiet);
  shim = await startSocketShim({
    app,
    settings: app.settings({}),
    config: loadConfig({
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      INSPECTOR_PORT: String(PORT),
    }),
    database,
    logger: { ...quiet, info: (message: string) => lines.push(message) },
    onFatal: () => {},
  });
});
afterAll(async () => {
  await shim.stop();
  await database.close();
  await fake.stop();
});

describe('a Socket Mode process on the embedded database', () => {
  it('serves its metrics on the inspector’s port, in the Prometheus text format', async () => {
    const res = await fetch(`http://127.0.0.1:${PORT}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE slack_router_deliveries_total counter');
    expect(text).toContain('# TYPE slack_router_outbox_oldest_pending_seconds gauge');
  });

  it('holds one connection and says so in /healthz, the inspector header and the log', async () => {
    const health = await fetch(`http://127.0.0.1:${PORT}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      ready: true,
      connections: {
        state: 'connected',
        here: 1,
        slots: [0],
        total: 1,
        processes: 1,
        slack: 1,
        limit: 10,
      },
    });
    const html = await (await fetch(`http://127.0.0.1:${PORT}/_inspect`)).text();
    expect(html).toMatch(
      /connection: connected, refreshed \d\d:\d\d:\d\d; 1 connection here \(slot 0\), 1 in all across 1 process; Slack counts 1/,
    );
    expect(lines).toContain('socket: 1 connection here (slot 0), 1 in all across 1 process; Slack counts 1');
  });
});

describe('the fake Slack', () => {
  it('refuses a connection over its limit with too_many_websockets', async () => {
    const { default: WebSocket } = await import('ws');
    const opened = await (await fetch(`${fake.apiUrl}apps.connections.open`, { method: 'POST' })).json();
    const second = new WebSocket((opened as { url: string }).url);
    const third = new WebSocket((opened as { url: string }).url);
    const fourth = new WebSocket((opened as { url: string }).url);
    const frames: string[] = [];
    fourth.on('message', (data) => frames.push(String(data)));
    await new Promise((resolve) => fourth.once('close', resolve));
    expect(frames.map((f) => JSON.parse(f))).toEqual([
      { type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'fake' } },
    ]);
    expect([fake.refused, fake.openSockets().length, fake.peakConnections]).toEqual([1, 3, 3]);
    second.close();
    third.close();
  });
});
