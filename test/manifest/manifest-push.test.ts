import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../dev/manifest-push.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { APP_ID, CONFIG_TOKEN, commandEnv, edited, laptopManifest, workspace } from './setup.js';

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

/** The live app lacks link_shared: a push adds it (no drift). */
const behind = () =>
  edited(laptopManifest(), (m) => {
    m.settings.event_subscriptions.bot_events = m.settings.event_subscriptions.bot_events.filter(
      (e) => e !== 'link_shared',
    );
  });
const exporting = (manifest: Record<string, unknown>) =>
  fake.on('apps.manifest.export', () => ({ body: { ok: true, manifest } }));

describe('npm run manifest:push', () => {
  it('validates, then updates the live app with the filled manifest', async () => {
    ws = workspace();
    exporting(behind());
    fake.on('apps.manifest.update', () => ({
      body: { ok: true, app_id: APP_ID, permissions_updated: false },
    }));
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(0);
    expect(fake.calls.map((c) => c.method)).toEqual([
      'apps.manifest.validate',
      'apps.manifest.export',
      'apps.manifest.update',
    ]);
    const update = fake.callsOf('apps.manifest.update')[0];
    expect([update?.token, update?.args]).toEqual([
      CONFIG_TOKEN,
      { app_id: APP_ID, manifest: laptopManifest() },
    ]);
    expect(fake.callsOf('apps.manifest.validate')[0]?.args).toEqual({
      app_id: APP_ID,
      manifest: laptopManifest(),
    });
    expect(ws.outLines).toEqual([
      `pushing manifest.yaml to the live app ${APP_ID} (+ added, - removed):`,
      '  settings.event_subscriptions.bot_events[+] link_shared',
      `updated the live app ${APP_ID}`,
    ]);
  });

  it('says the app must be reinstalled when Slack answers permissions_updated', async () => {
    ws = workspace();
    exporting(behind());
    fake.on('apps.manifest.update', () => ({
      body: { ok: true, app_id: APP_ID, permissions_updated: true },
    }));
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(0);
    expect(ws.outLines.at(-1)).toBe(
      "Slack says the app's permissions changed (permissions_updated): reinstall the app (Install App → Reinstall to Workspace) for them to take effect",
    );
  });

  it("prints Slack's validation errors with their JSON pointers and exits 1, updating nothing", async () => {
    ws = workspace();
    fake.on('apps.manifest.validate', () => ({
      body: {
        ok: false,
        error: 'invalid_manifest',
        errors: [
          {
            message: 'Event Subscription requires either Request URL or Socket Mode Enabled',
            pointer: '/settings',
          },
          { message: 'Invalid event type', pointer: '/settings/event_subscriptions/bot_events/3' },
        ],
      },
    }));
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(1);
    expect(ws.errLines).toEqual([
      'error: Slack refused manifest.yaml (invalid_manifest):',
      '  /settings: Event Subscription requires either Request URL or Socket Mode Enabled',
      '  /settings/event_subscriptions/bot_events/3: Invalid event type',
    ]);
    expect(fake.calls.map((c) => c.method)).toEqual(['apps.manifest.validate']);
  });

  it('refuses to overwrite live changes manifest.yaml lacks, and exits 1', async () => {
    ws = workspace();
    exporting(
      edited(laptopManifest(), (m) => {
        m.oauth_config.scopes.bot.push('reactions:read');
        m.display_information.name = 'Org Linker (renamed)';
      }),
    );
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(1);
    expect(ws.errLines).toEqual([
      `error: the live app ${APP_ID} has settings manifest.yaml would remove or overwrite:`,
      '  display_information.name: "Org Linker (renamed)" → "Org Linker"',
      '  oauth_config.scopes.bot[-] reactions:read',
      'Put them into manifest.yaml, or run npm run manifest:push -- --force to overwrite them.',
    ]);
    expect(fake.callsOf('apps.manifest.update')).toEqual([]);
  });

  it('overwrites them with --force', async () => {
    ws = workspace();
    exporting(edited(laptopManifest(), (m) => m.oauth_config.scopes.bot.push('reactions:read')));
    expect(await main(['--force'], commandEnv(fake.apiUrl), ws)).toBe(0);
    expect(fake.callsOf('apps.manifest.update')).toHaveLength(1);
    expect(ws.outLines).toEqual([
      `pushing manifest.yaml to the live app ${APP_ID} (+ added, - removed):`,
      '  oauth_config.scopes.bot[-] reactions:read',
      `updated the live app ${APP_ID}`,
    ]);
  });

  it('pushes nothing when the live app already equals manifest.yaml', async () => {
    ws = workspace();
    exporting(laptopManifest());
    expect(await main([], commandEnv(fake.apiUrl), ws)).toBe(0);
    expect(ws.outLines).toEqual([`the live app ${APP_ID} already equals manifest.yaml: nothing to push`]);
    expect(fake.callsOf('apps.manifest.update')).toEqual([]);
  });

  it('exits 2 in one line on an unknown option', async () => {
    ws = workspace();
    expect(await main(['--forse'], commandEnv(fake.apiUrl), ws)).toBe(2);
    expect(ws.errLines).toEqual([
      "error: Unknown option '--forse'; usage: npm run manifest:push [-- --force]",
    ]);
  });
});
