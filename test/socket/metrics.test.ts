/** Socket Mode connections as metrics, on the inspector's port of a shim connected to the fake Slack. */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
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
const fake = new FakeSlack();
let shim: RunningShim;
let database: DatabaseHandle;

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
    logger: quiet,
    onFatal: () => {},
  });
});
afterAll(async () => {
  await shim.stop();
  await database.close();
  await fake.stop();
});

/** The socket metrics as Prometheus reads them: `connections` and the opens by reason. */
async function socketFigures(): Promise<{ connections: number; opens: Record<string, number> }> {
  const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  const gauge = families.get('slack_router_socket_connections');
  const opens = families.get('slack_router_socket_opens_total');
  expect(gauge?.type).toBe('GAUGE');
  expect(opens?.type).toBe('COUNTER');
  return {
    connections: Number(gauge?.metrics[0]?.value),
    opens: Object.fromEntries((opens?.metrics ?? []).map((m) => [m.labels?.reason ?? '', Number(m.value)])),
  };
}

/** Polls `condition` every 20 ms for up to 5 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 20) {
    if (waited > 5_000) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Socket Mode metrics', () => {
  it('counts the first connection and shows it open', async () => {
    expect(await socketFigures()).toEqual({ connections: 1, opens: { start: 1 } });
  });

  it('counts a reconnect after the socket drops, and the gauge goes back to one', async () => {
    fake.dropSocket();
    await until(async () => (await socketFigures()).opens.reconnect === 1);
    expect(await socketFigures()).toEqual({ connections: 1, opens: { start: 1, reconnect: 1 } });
  });

  it('counts the connection Slack asks for by a refresh, the old one closed', async () => {
    fake.disconnect('refresh_requested');
    await until(async () => (await socketFigures()).opens.refresh === 1);
    await until(() => fake.openSockets().length === 1);
    expect(await socketFigures()).toEqual({ connections: 1, opens: { start: 1, reconnect: 1, refresh: 1 } });
  });
});
