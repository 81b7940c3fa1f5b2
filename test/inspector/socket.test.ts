import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { type RunningShim, startSocketShim } from '../../src/runtime/socket-shim.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture, socketForm } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';

// dev:socket has no HTTP server: it opens the inspector on its own loopback port.
const PORT = await freePort();
const fake = new FakeSlack();
let shim: RunningShim;
let database: DatabaseHandle;

beforeAll(async () => {
  await fake.start();
  database = await openDatabase('memory://');
  await migrate(database);
  await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
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

describe('the inspector of dev:socket', () => {
  it('serves /_inspect on its loopback port, with the connection state and the Socket Mode deliveries', async () => {
    expect(shim.inspectorUrl).toBe(`http://127.0.0.1:${PORT}/_inspect`);
    fake.sendEnvelope(
      socketForm(fixture('event_app_mention'), { envelopeId: 'env-1' }) as { envelope_id: string },
    );
    await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'));
    const html = await (await fetch(`${shim.inspectorUrl}`)).text();
    expect(html).toContain('<span data-testid="mode">Socket Mode</span>');
    expect(html).toMatch(/connection: connected, refreshed \d\d:\d\d:\d\d/);
    expect(html).toContain('event:app_mention');
    const detail = await (await fetch(`${shim.inspectorUrl}/deliveries/r1`)).text();
    expect(detail).toContain('<td>socket</td>');
    expect(detail).not.toContain(APP_TOKEN);
    expect(detail).not.toContain(BOT_TOKEN);
  });
});
