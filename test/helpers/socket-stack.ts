import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { startSocketShim } from '../../src/runtime/socket-shim.js';
import type { FakeSlack } from '../../src/testing/fake-slack.js';
import { BOT_TOKEN, quiet } from './http-stack.js';

export const APP_TOKEN = 'xapp-1-A0APP0001-1234-fake';

/** The Socket Mode shim over in-memory PGlite, connected to `fake`. */
export async function socketStack(
  fake: FakeSlack,
  options: { database?: DatabaseHandle; logger?: typeof quiet } = {},
) {
  const database = options.database ?? (await openDatabase('memory://'));
  if (!options.database) {
    await migrate(database);
    await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
  }
  const fatal: Error[] = [];
  const config = loadConfig({
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    // These stacks measure delivery, not Slack's limits (test/slack/lanes.test.ts does): calls are not paced.
    SLACK_RATE_LIMITS: 'off',
  });
  const app = linkApp(quiet);
  const shim = await startSocketShim({
    app,
    settings: app.settings({}),
    config,
    database,
    logger: options.logger ?? quiet,
    onFatal: (e) => fatal.push(e),
  });
  return { shim, database, fatal };
}
