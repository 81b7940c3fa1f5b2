import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import { spawnScript } from '../helpers/spawn.js';

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

describe('npm run dev:http', () => {
  it('refuses to start without SLACK_SIGNING_SECRET, in one line', async () => {
    const run = spawnScript(
      'src/runtime/node.ts',
      { DATABASE_URL: 'memory://' },
      mkdtempSync(join(tmpdir(), 'http-')),
    );
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe(
      "error: SLACK_SIGNING_SECRET is required: copy it from your app's Basic Information → App Credentials → Signing Secret",
    );
  });

  it('serves signed deliveries and, on SIGTERM, finishes running effects before exiting 0', async () => {
    const port = String(await freePort());
    const run = spawnScript(
      'src/runtime/node.ts',
      {
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: fake.apiUrl,
        DATABASE_URL: 'memory://',
        PORT: port,
      },
      mkdtempSync(join(tmpdir(), 'http-')),
    );
    await run.waitFor('listening on');
    fake.on('chat.postMessage', () => ({ delayMs: 1_000 }));
    const { body, contentType } = httpForm(fixture('event_app_mention'));
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      body,
      headers: await slackHeaders(body, contentType),
    });
    expect(res.status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    expect(run.output()).toMatch(/event app_mention .*handler=event:app_mention/);
  });
});

describe('npm run trigger', () => {
  it('sends a signed fixture to a running dev:http and prints the answer', async () => {
    const port = String(await freePort());
    const env = {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      DATABASE_URL: 'memory://',
      PORT: port,
    };
    const server = spawnScript('src/runtime/node.ts', env, mkdtempSync(join(tmpdir(), 'http-')));
    await server.waitFor('listening on', 45_000);
    const trigger = spawnScript(
      'dev/trigger.ts',
      { SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: port },
      mkdtempSync(join(tmpdir(), 'trigger-')),
      ['command_link_unknown'],
    );
    expect(await trigger.exited).toBe(0);
    // The answer is the second line (test/trigger.test.ts checks the rest of what trigger prints).
    expect(trigger.output().split('\n')[1]).toBe(
      '200 {"response_type":"ephemeral","text":"There is no organization with the slug `nobody`."}',
    );
    server.child.kill('SIGTERM');
    await server.exited;
  }, 90_000);
});
