import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { createApp } from '../../src/http/app.js';
import type { InspectorAccess } from '../../src/inspector/index.js';
import { withInspector } from '../../src/inspector/index.js';
import { createPipeline } from '../../src/pipeline/build.js';
import type { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { type Fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';

/** The HTTP app with the inspector over in-memory PGlite, talking to `fake`, listening on a loopback port. */
export async function inspectorStack(
  fake: FakeSlack,
  options: { access?: InspectorAccess; env?: Record<string, string>; appEnv?: Record<string, string> } = {},
) {
  const database = await openDatabase('memory://');
  await migrate(database);
  await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    ...options.env,
  });
  const slackApp = linkApp(quiet);
  const settings = slackApp.settings({ APP_URL: 'https://app.example.com', ...options.appEnv });
  const { pipeline, inspector } = withInspector(
    createPipeline({
      app: slackApp,
      settings,
      config,
      database,
      logger: quiet,
      executor: { maxAttempts: 1 },
    }),
    { app: slackApp, settings, config, logger: quiet, mode: 'HTTP', version: 'test', access: options.access },
  );
  const app = createApp({
    services: async () => ({ pipeline: async () => pipeline, signingSecret: SIGNING_SECRET, inspector }),
    defer: (_c, work) => {
      void work();
    },
    logger: quiet,
    version: 'test',
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    app,
    database,
    pipeline,
    inspector,
    url: `http://127.0.0.1:${port}`,
    /** POSTs a fixture to the server, signed, as Slack would. */
    async deliver(fixture: Fixture) {
      const { body, contentType } = httpForm(fixture);
      return fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        body,
        headers: await slackHeaders(body, contentType),
      });
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pipeline.idle();
      await database.close();
    },
  };
}

/** A fixture with its event id, ts and text changed, so each is a new delivery. */
export function mention(base: Fixture, n: number, text = `<@U0BOT0001> question ${n}`): Fixture {
  const payload = structuredClone(base.payload);
  const event = payload.event;
  if (typeof event === 'object' && event !== null && !Array.isArray(event)) {
    Object.assign(event, {
      ts: `1764100000.${String(n).padStart(6, '0')}`,
      event_ts: `1764100000.${n}`,
      text,
    });
  }
  payload.event_id = `Ev0MENTION${String(n).padStart(3, '0')}`;
  return { ...base, payload };
}
