/**
 * `npm run dev:worker` (wrangler dev) without a PostgreSQL URL: one line when the Worker first runs,
 * then a 503 with a JSON body that says what to set, for every delivery (not a 500 and a stack each).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { type Spawned, spawnScript } from '../helpers/spawn.js';

const SLOW_MS = 180_000;
const NO_DATABASE =
  'no PostgreSQL: on Workers, set DATABASE_URL to a postgres:// URL (in .env for npm run dev:worker, a secret in production) or bind Hyperdrive as HYPERDRIVE';
const port = 8700 + (process.pid % 90);
let wrangler: Spawned;

beforeAll(async () => {
  const empty = join(tmpdir(), `operate-worker-${process.pid}.env`);
  writeFileSync(empty, ''); // not the developer's .env: no DATABASE_URL from anywhere
  wrangler = spawnScript(
    'node_modules/wrangler/bin/wrangler.js',
    { HOME: process.env.HOME ?? tmpdir(), WRANGLER_SEND_METRICS: 'false', CI: '1' },
    undefined,
    [
      'dev',
      '--port',
      String(port),
      '--ip',
      '127.0.0.1',
      '--env-file',
      empty,
      '--var',
      `SLACK_SIGNING_SECRET:${SIGNING_SECRET}`,
      '--var',
      'SLACK_BOT_TOKEN:xoxb-test-bot-token',
      '--show-interactive-dev-session=false',
    ],
  );
  await wrangler.waitFor(/Ready on http/, SLOW_MS);
}, SLOW_MS);
afterAll(async () => {
  wrangler.child.kill('SIGTERM');
  await wrangler.exited;
});

describe('npm run dev:worker without PostgreSQL', () => {
  it(
    'says so once, and answers each delivery 503 with the reason',
    async () => {
      const { body, contentType } = httpForm(fixture('event_app_mention'));
      const answers: [number, unknown][] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
          method: 'POST',
          body,
          headers: await slackHeaders(body, contentType),
        });
        answers.push([res.status, await res.json()]);
      }
      const answer = [503, { error: 'database_not_configured', message: NO_DATABASE }];
      expect(answers).toEqual([answer, answer, answer]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const said = wrangler
        .output()
        .split('\n')
        .filter((line) => line.includes('no PostgreSQL'))
        .map((line) => line.replace(/^\d\d:\d\d:\d\d\.\d{3} /, ''));
      expect(said).toEqual([`ERROR ${NO_DATABASE}`]);
      expect(wrangler.output()).not.toMatch(/ 500 |Internal Server Error/);
    },
    SLOW_MS,
  );
});
