import { loadConfig } from '../../src/config.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { organizations } from '../../src/db/schema.js';
import { createApp } from '../../src/http/app.js';
import { createPipeline } from '../../src/services.js';
import type { FakeSlack } from './fake-slack.js';
import { type Fixture, httpForm } from './fixtures.js';
import { SIGNING_SECRET, slackHeaders } from './signing.js';

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
    APP_URL: 'https://app.example.com',
  });
  const pipeline = createPipeline({ config, database, logger: quiet, executor: { logger: quiet } });
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
      await pipeline.executor.idle();
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
