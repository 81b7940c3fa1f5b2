import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../dev/manifest-diff.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import {
  APP_ID,
  CONFIG_TOKEN,
  commandEnv,
  edited,
  laptopManifest,
  REFRESH_TOKEN,
  workspace,
} from './setup.js';

const fake = new FakeSlack();
let ws: ReturnType<typeof workspace>;
beforeAll(async () => {
  await fake.start();
});
afterAll(() => fake.stop());
afterEach(() => {
  fake.reset();
  ws?.remove();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const exporting = (manifest: Record<string, unknown>) =>
  fake.on('apps.manifest.export', () => ({ body: { ok: true, manifest } }));

describe('npm run manifest:diff', () => {
  it('exits 0 when the live app equals manifest.yaml, asking with the config token and app id', async () => {
    ws = workspace();
    exporting(laptopManifest());
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(0);
    expect(ws.outLines).toEqual([`manifest.yaml equals the live app ${APP_ID}`]);
    expect(fake.callsOf('apps.manifest.export').map((c) => [c.token, c.args])).toEqual([
      [CONFIG_TOKEN, { app_id: APP_ID }],
    ]);
  });

  it('exits 0 when only the order of lists differs', async () => {
    ws = workspace();
    exporting(
      edited(laptopManifest(), (m) => {
        m.oauth_config.scopes.bot.reverse();
        m.settings.event_subscriptions.bot_events.reverse();
        m.features.slash_commands.reverse();
      }),
    );
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(0);
  });

  it('exits 0 when the export adds fields at their defaults', async () => {
    ws = workspace();
    exporting({
      _metadata: { major_version: 1, minor_version: 1 },
      ...edited(laptopManifest(), (m) => {
        m.settings.is_hosted = false;
        m.oauth_config.token_management_enabled = false;
        m.features = { ...m.features, bot_user: { display_name: 'Org Linker', always_online: true } };
      }),
    });
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(0);
  });

  it('exits 1 and prints each difference by path', async () => {
    ws = workspace();
    exporting(
      edited(laptopManifest(), (m) => {
        const events = m.settings.event_subscriptions.bot_events.filter((e) => e !== 'link_shared');
        m.settings.event_subscriptions.bot_events = [...events, 'reaction_added'];
        m.features.unfurl_domains = ['old.example.com'];
      }),
    );
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(1);
    expect(ws.outLines).toEqual([
      `manifest.yaml differs from the live app ${APP_ID} (+ only in manifest.yaml, - only in the live app):`,
      '  features.unfurl_domains[+] app.example.com',
      '  features.unfurl_domains[-] old.example.com',
      '  settings.event_subscriptions.bot_events[+] link_shared',
      '  settings.event_subscriptions.bot_events[-] reaction_added',
    ]);
  });

  it('compares against the filled manifest: APP_URL sets the unfurl domain', async () => {
    ws = workspace();
    exporting(laptopManifest());
    expect(await main([], commandEnv(fake.apiUrl, { APP_URL: 'https://acme.io' }), ws)).toBe(1);
    expect(ws.outLines.slice(1)).toEqual([
      '  features.unfurl_domains[+] acme.io',
      '  features.unfurl_domains[-] app.example.com',
    ]);
  });

  it('rotates an expired config token, writes the pair back to .env, and retries once', async () => {
    const env = `# mine\nAPP_URL=https://app.example.com\nSLACK_CONFIG_TOKEN=${CONFIG_TOKEN}\nSLACK_CONFIG_REFRESH_TOKEN=${REFRESH_TOKEN}\nPORT=3000 # keep\n`;
    ws = workspace(env);
    fake.on('apps.manifest.export', (call) =>
      call.token === CONFIG_TOKEN
        ? { body: { ok: false, error: 'token_expired' } }
        : { body: { ok: true, manifest: laptopManifest() } },
    );
    fake.on('tooling.tokens.rotate', () => ({
      body: { ok: true, token: 'xoxe.xoxp-1-config-new', refresh_token: 'xoxe-1-refresh-new', exp: 1 },
    }));
    const code = await main([], { SLACK_API_URL: fake.apiUrl, SLACK_APP_ID: APP_ID }, ws);
    expect(code).toBe(0);
    expect(fake.callsOf('tooling.tokens.rotate').map((c) => c.args)).toEqual([
      { refresh_token: REFRESH_TOKEN },
    ]);
    expect(fake.callsOf('apps.manifest.export').map((c) => c.token)).toEqual([
      CONFIG_TOKEN,
      'xoxe.xoxp-1-config-new',
    ]);
    expect(readFileSync(join(ws.dir, '.env'), 'utf8')).toBe(
      env.replace(CONFIG_TOKEN, 'xoxe.xoxp-1-config-new').replace(REFRESH_TOKEN, 'xoxe-1-refresh-new'),
    );
    expect(ws.errLines).toEqual([
      `the config token had expired: rotated it with tooling.tokens.rotate and wrote the new SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN to ${join(ws.dir, '.env')}`,
    ]);
    expect(ws.outLines).toEqual([`manifest.yaml equals the live app ${APP_ID}`]);
  });

  it('exits 2 in one line when the refresh token is refused too, printing no token', async () => {
    ws = workspace();
    fake.on('apps.manifest.export', () => ({ body: { ok: false, error: 'token_expired' } }));
    fake.on('tooling.tokens.rotate', () => ({ body: { ok: false, error: 'invalid_refresh_token' } }));
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(2);
    expect(ws.errLines).toEqual([
      'error: SLACK_CONFIG_REFRESH_TOKEN was refused by Slack (invalid_refresh_token): each refresh token works once; create them at https://api.slack.com/apps → "Your App Configuration Tokens" → Generate Token, and set SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN in .env',
    ]);
    expect(fake.callsOf('apps.manifest.export')).toHaveLength(1);
  });

  it('exits 2 in one line saying where to create missing tokens, calling no Slack method', async () => {
    ws = workspace();
    const env = commandEnv(fake.apiUrl, {
      SLACK_CONFIG_TOKEN: undefined,
      SLACK_CONFIG_REFRESH_TOKEN: undefined,
    });
    expect(await main([], env, ws)).toBe(2);
    expect(ws.errLines).toEqual([
      'error: SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN are required: create them at https://api.slack.com/apps → "Your App Configuration Tokens" → Generate Token, and set SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN in .env',
    ]);
    expect(fake.calls).toEqual([]);
  });

  it('exits 2 in one line for an unknown app and for a Slack it cannot reach', async () => {
    ws = workspace();
    fake.on('apps.manifest.export', () => ({ body: { ok: false, error: 'app_not_found' } }));
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(2);
    const closed = await closedPort();
    expect(await main([], commandEnv(`http://127.0.0.1:${closed}/api/`), ws)).toBe(2);
    expect(await main([], commandEnv(fake.apiUrl, { SLACK_APP_ID: undefined }), ws)).toBe(2);
    expect(ws.errLines).toEqual([
      `error: SLACK_APP_ID ${APP_ID} was refused by Slack (app_not_found): use the App ID from your app's Basic Information page, with a config token from the same workspace`,
      `error: cannot reach Slack at http://127.0.0.1:${closed}/api/ (ECONNREFUSED)`,
      "error: SLACK_APP_ID is required: copy the App ID from your app's Basic Information page (https://api.slack.com/apps)",
    ]);
  });

  it('prints the filled manifest with --print, without calling Slack', async () => {
    ws = workspace('APP_URL=https://acme.io\nSLACK_APP_NAME_SUFFIX=" (dev)"\n');
    expect(await main(['--print'], {}, ws)).toBe(0);
    const printed = parse(ws.outLines.join('\n'));
    expect([printed.display_information.name, printed.features.unfurl_domains]).toEqual([
      'Org Linker (dev)',
      ['acme.io'],
    ]);
    expect(fake.calls).toEqual([]);
  });

  it('as a process: npm run manifest:diff exits 1 on a difference', async () => {
    ws = workspace();
    exporting(edited(laptopManifest(), (m) => m.oauth_config.scopes.bot.push('reactions:read')));
    const child = spawn('npm', ['run', '--silent', 'manifest:diff'], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: ws.dir, ...commandEnv(fake.apiUrl) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect([code, output]).toEqual([
      1,
      `manifest.yaml differs from the live app ${APP_ID} (+ only in manifest.yaml, - only in the live app):\n  oauth_config.scopes.bot[-] reactions:read\n`,
    ]);
  }, 60_000);
});
