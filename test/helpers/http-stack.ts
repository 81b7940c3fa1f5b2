import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { createApp } from '../../src/http/app.js';
import { createPipeline } from '../../src/pipeline/build.js';
import type { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { type Fixture, httpForm } from './fixtures.js';

export const BOT_TOKEN = 'xoxb-test-bot-token';
export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** The Hono app over in-memory PGlite, talking to `fake`; `settled()` waits for deferred effects. */
export async function httpStack(fake: FakeSlack, options: { database?: DatabaseHandle } = {}) {
  const database = options.database ?? (await openDatabase('memory://'));
  if (!options.database) {
    await migrate(database);
    await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
  }
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    // These stacks measure delivery, not Slack's limits (test/slack/lanes.test.ts does): calls are not paced.
    SLACK_RATE_LIMITS: 'off',
  });
  const slackApp = linkApp(quiet);
  const settings = slackApp.settings({ APP_URL: 'https://app.example.com' });
  const pipeline = createPipeline({ app: slackApp, settings, config, database, logger: quiet });
  const deferred: Promise<unknown>[] = [];
  const app = createApp({
    services: async () => ({ pipeline: async () => pipeline, signingSecret: SIGNING_SECRET }),
    defer: (_c, work) => {
      deferred.push(work());
    },
    logger: quiet,
    version: 'test',
  });
  return {
    app,
    database,
    pipeline,
    settled: async () => {
      await Promise.all(deferred);
      await pipeline.idle();
    },
    /** POSTs a fixture in its HTTP form, signed. */
    async deliver(fixture: Fixture, headers: Record<string, string> = {}) {
      const { body, contentType } = httpForm(fixture);
      return app.request('/slack/events', {
        method: 'POST',
        body,
        headers: { ...(await slackHeaders(body, contentType)), ...headers },
      });
    },
  };
}
