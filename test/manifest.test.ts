import { describe, expect, it } from 'vitest';
import { linkApp } from '../src/app/index.js';
import { createRoutes } from '../src/app/routes.js';
import type { AppHandler } from '../src/app/types.js';
import { api } from '../src/core/action.js';
import type { BlockActionEvent } from '../src/core/event.js';
import { checkManifest, type Manifest, ManifestSchema } from '../src/manifest/check.js';
import { loadManifest, placeholderValues } from '../src/manifest/placeholders.js';

const appUrl = new URL('https://app.example.com');
const manifest = ManifestSchema.parse(loadManifest('manifest.yaml', placeholderValues({}, appUrl)));
const routes = linkApp().router.declarations();
/** What the check finds in manifest.yaml after `edit`, for the reference app. */
const problems = (edit: (m: Manifest) => unknown) =>
  checkManifest(ManifestSchema.parse(edit(manifest)), routes, appUrl);

describe('manifest.yaml', () => {
  it('is a valid manifest for Socket Mode', () => {
    expect([manifest.display_information.name, manifest.settings.socket_mode_enabled]).toEqual([
      'Org Linker',
      true,
    ]);
  });

  it('declares every event, command, scope and unfurl domain the routes need', () => {
    expect(checkManifest(manifest, routes, appUrl)).toEqual([]);
  });
});

describe('checkManifest', () => {
  it('names a slash command the manifest lacks, and its scope', () => {
    const found = problems((m) => ({
      ...m,
      features: { ...m.features, slash_commands: [] },
      oauth_config: { scopes: { bot: m.oauth_config.scopes.bot.filter((s) => s !== 'commands') } },
    }));
    expect(found).toContain('features.slash_commands lacks /link');
    expect(found.find((p) => p.startsWith('oauth_config.scopes.bot lacks commands'))).toMatch(
      /^oauth_config\.scopes\.bot lacks commands \(needed by \/link, \/unlink(, .*)?\)$/,
    );
  });

  it('names an event the manifest does not subscribe to', () => {
    const found = problems((m) => ({
      ...m,
      settings: { ...m.settings, event_subscriptions: { bot_events: [] } },
    }));
    expect(found).toContain('settings.event_subscriptions.bot_events lacks link_shared');
  });

  it('asks for interactivity when a button, menu or modal is routed', () => {
    const found = problems((m) => ({
      ...m,
      settings: { ...m.settings, interactivity: { is_enabled: false } },
    }));
    expect(found).toContain(
      'settings.interactivity.is_enabled must be true (a block_action handler is registered)',
    );
  });

  it('names the scope a called method needs, and the route that calls it', () => {
    const found = problems((m) => ({
      ...m,
      oauth_config: { scopes: { bot: m.oauth_config.scopes.bot.filter((s) => s !== 'links:write') } },
    }));
    expect(found).toEqual([
      'oauth_config.scopes.bot lacks links:write (needed by chat.unfurl in event:link_shared)',
    ]);
  });

  it('asks for an unfurl domain covering APP_URL when a route calls chat.unfurl', () => {
    const found = problems((m) => ({ ...m, features: { ...m.features, unfurl_domains: ['example.org'] } }));
    expect(found).toEqual(['features.unfurl_domains does not cover app.example.com (APP_URL)']);
  });

  it('fails on a handler that calls a method whose scope the manifest lacks, naming the scope and the route', () => {
    const router = createRoutes().on(
      'block_action',
      'orgstatus_react',
      (event) => [api('reactions.add', { channel: event.channelId ?? '', timestamp: '1.2', name: 'eyes' })],
      {
        calls: ['reactions.add'],
      },
    );
    expect(checkManifest(manifest, router.declarations(), appUrl)).toEqual([
      'oauth_config.scopes.bot lacks reactions:write (needed by reactions.add in block_action:orgstatus_react)',
    ]);
  });

  it('does not compile a route whose handler calls a method it does not declare', () => {
    const react = (() => [
      api('reactions.add', { channel: 'C1', timestamp: '1.2', name: 'eyes' }),
    ]) satisfies AppHandler<BlockActionEvent>;
    // @ts-expect-error reactions.add is not among the route's calls: `npm run typecheck` fails here
    createRoutes().on('block_action', 'orgstatus_react', react, { calls: ['chat.postEphemeral'] });
    // @ts-expect-error a route that declares no calls may not call Slack at all
    createRoutes().on('block_action', 'orgstatus_react', react);
    expect(
      createRoutes()
        .on('block_action', 'x', react, { calls: ['reactions.add'] })
        .routes(),
    ).toContain('block_action:x');
  });

  it('asks for shortcuts in features.shortcuts, with the commands scope', () => {
    const router = createRoutes()
      .on('shortcut', 'new_link', () => [])
      .on('message_shortcut', 'link_message', () => []);
    expect(checkManifest(manifest, router.declarations(), appUrl)).toEqual([
      'features.shortcuts lacks a global shortcut with callback_id new_link',
      'features.shortcuts lacks a message shortcut with callback_id link_message',
    ]);
    const declared = ManifestSchema.parse({
      ...manifest,
      features: {
        ...manifest.features,
        shortcuts: [
          { name: 'New link', type: 'global', callback_id: 'new_link', description: 'Link a channel' },
          { name: 'Link it', type: 'message', callback_id: 'link_message', description: 'Link this' },
        ],
      },
    });
    expect(checkManifest(declared, router.declarations(), appUrl)).toEqual([]);
  });

  it('names a method whose scopes it does not know, until the app declares them', () => {
    const router = createRoutes().on('command', '/search', () => [api('admin.conversations.search', {})], {
      calls: ['admin.conversations.search'],
    });
    expect(checkManifest(manifest, router.declarations(), appUrl)).toContain(
      "admin.conversations.search (called in command:/search): its scopes are unknown here: declare them in the app (scopes: { 'admin.conversations.search': [...] })",
    );
    const declared = { 'admin.conversations.search': ['admin.conversations:read'] };
    expect(checkManifest(manifest, router.declarations(), appUrl, declared)).toContain(
      'oauth_config.scopes.bot lacks admin.conversations:read (needed by admin.conversations.search in command:/search)',
    );
  });
});
