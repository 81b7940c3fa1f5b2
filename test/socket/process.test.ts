import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture, socketForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';
import { spawnScript } from '../helpers/spawn.js';

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterEach(() => fake.reset());
afterAll(() => fake.stop());

const env = (overrides: Record<string, string> = {}) => ({
  SLACK_APP_TOKEN: APP_TOKEN,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_API_URL: fake.apiUrl,
  DATABASE_URL: 'memory://',
  ...overrides,
});

/** Runs dev:socket in a fresh directory and returns its exit code and output. */
async function startupError(overrides: Record<string, string>, drop: string[] = []) {
  const vars: Record<string, string> = env(overrides);
  for (const name of drop) delete vars[name];
  const run = spawnScript('src/runtime/socket.ts', vars, mkdtempSync(join(tmpdir(), 'shim-')));
  const code = await run.exited;
  return { code, output: run.output().trim() };
}

describe('npm run dev:socket refuses to start, in one line', () => {
  it.each([
    [
      'without SLACK_APP_TOKEN',
      {},
      ['SLACK_APP_TOKEN'],
      'error: SLACK_APP_TOKEN is required: create an app-level token with connections:write (Basic Information → App-Level Tokens, xapp-…)',
    ],
    [
      'with a bot token as SLACK_APP_TOKEN',
      { SLACK_APP_TOKEN: 'xoxb-1-not-an-app-token' },
      [],
      'error: SLACK_APP_TOKEN is invalid (must start with xapp-): create an app-level token with connections:write (Basic Information → App-Level Tokens, xapp-…)',
    ],
    [
      'without a bot token or an installation',
      {},
      ['SLACK_BOT_TOKEN'],
      'error: SLACK_BOT_TOKEN is required (no installation is stored either): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
    ],
    [
      'when PostgreSQL cannot be reached',
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' },
      [],
      'error: cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED): start the server, or unset DATABASE_URL to use the embedded database',
    ],
  ])('%s', async (_label, overrides, drop, line) => {
    expect(await startupError(overrides, drop)).toEqual({ code: 1, output: line });
  });

  it.each([
    [
      'invalid_auth',
      'error: SLACK_APP_TOKEN was refused by Slack (invalid_auth): create a new app-level token with connections:write',
    ],
    [
      'not_allowed_token_type',
      'error: SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type): create one with connections:write under Basic Information → App-Level Tokens',
    ],
  ])('when Slack answers apps.connections.open with %s', async (error, line) => {
    fake.on('apps.connections.open', () => ({ body: { ok: false, error } }));
    expect(await startupError({})).toEqual({ code: 1, output: line });
  });
});

describe('a running dev:socket', () => {
  it('refuses a second one on the same embedded database, naming the first, and exits 0 on SIGTERM with effects finished', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shim-'));
    const first = spawnScript('src/runtime/socket.ts', env({ DATABASE_URL: '' }), dir);
    await first.waitFor('Socket Mode connected');
    const second = spawnScript('src/runtime/socket.ts', env({ DATABASE_URL: '' }), dir);
    expect(await second.exited).toBe(1);
    expect(second.output().trim()).toBe(
      `error: the embedded database in .data/pglite is in use by process ${first.child.pid}: stop it first, or set DATABASE_URL to a PostgreSQL server (the embedded database serves one process, so Socket Mode runs one process on it; several processes share one app only on PostgreSQL)`,
    );

    // An effect still running when SIGTERM arrives is finished before the exit.
    fake.on('chat.postMessage', () => ({ delayMs: 1_000 }));
    fake.sendEnvelope(
      socketForm(fixture('event_app_mention'), { envelopeId: 'env-term' }) as { envelope_id: string },
    );
    await fake.waitFor(() => fake.envelopes.get('env-term')?.ack !== undefined);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    expect(first.output()).toMatch(/event app_mention .*handler=event:app_mention .*ack=\d+\.\dms/);
    expect(first.output()).not.toContain(BOT_TOKEN);
  });

  it('stops with one line when Socket Mode is turned off (link_disabled)', async () => {
    const run = spawnScript('src/runtime/socket.ts', env(), mkdtempSync(join(tmpdir(), 'shim-')));
    await run.waitFor('Socket Mode connected');
    fake.disconnect('link_disabled');
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(
      'error: Socket Mode is turned off for this app: turn it on under Settings → Socket Mode, or run `npm run dev:http`',
    );
  });
});

// Each starts a process on a fresh embedded database (initdb and migrations: several seconds on a
// loaded 2-core machine), hence the longer timeout.
describe('npm run dev', () => {
  it('starts the Socket Mode shim when SLACK_SOCKET_MODE=true', { timeout: 45_000 }, async () => {
    const socket = spawnScript(
      'dev/dev.ts',
      env({ SLACK_SOCKET_MODE: 'true' }),
      mkdtempSync(join(tmpdir(), 'dev-')),
    );
    await socket.waitFor('Socket Mode connected', 40_000);
    socket.child.kill('SIGTERM');
    expect(await socket.exited, socket.output()).toBe(0);
  });

  it('starts the HTTP server otherwise', { timeout: 45_000 }, async () => {
    const http = spawnScript(
      'dev/dev.ts',
      env({
        SLACK_SOCKET_MODE: 'false',
        SLACK_SIGNING_SECRET: 'a-secret',
        PORT: String(await freePort()),
      }),
      mkdtempSync(join(tmpdir(), 'dev-')),
    );
    await http.waitFor('listening on http://127.0.0.1:', 40_000);
    http.child.kill('SIGTERM');
    expect(await http.exited, http.output()).toBe(0);
  });
});
