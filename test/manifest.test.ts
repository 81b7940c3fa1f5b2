import { describe, expect, it } from 'vitest';
import { linkApp } from '../src/app/index.js';
import { createRoutes } from '../src/app/routes.js';
import { ACME, GLOBEX, MemoryLookups, testContext } from '../src/app/testing.js';
import type { StepEvent } from '../src/core/event.js';
import { checkManifest, ManifestSchema } from '../src/manifest/check.js';
import { loadManifest, placeholderValues } from '../src/manifest/placeholders.js';
import { fixtureEvent } from './helpers/events.js';
import { fixtureNames } from './helpers/fixtures.js';

const appUrl = new URL('https://app.example.com');
const manifest = ManifestSchema.parse(loadManifest('manifest.yaml', placeholderValues({}, appUrl)));

describe('manifest.yaml', () => {
  it('is a valid manifest for Socket Mode', () => {
    expect([manifest.display_information.name, manifest.settings.socket_mode_enabled]).toEqual([
      'Org Linker',
      true,
    ]);
  });

  it('declares every event, command, scope and unfurl domain the code needs', () => {
    expect(checkManifest(manifest, createRoutes().routes(), linkApp().methods, appUrl)).toEqual([]);
  });

  it('lists every Web API method the handlers return for the fixtures', async () => {
    const router = createRoutes();
    const seen = new Set<string>();
    const contexts = [
      testContext(),
      testContext(
        new MemoryLookups([ACME, GLOBEX], [{ teamId: 'T0001ACME', channelId: 'C0CHAN001', slug: 'acme' }]),
      ),
    ];
    for (const ctx of contexts) {
      for (const name of fixtureNames()) {
        for (const effect of (await router.dispatch(fixtureEvent(name), ctx)).effects) {
          if (effect.type === 'api') seen.add(effect.method);
        }
      }
    }
    // The steps of a mention with the product API: the summary (or its failure) updates the reply.
    const message = { slug: 'acme', name: 'Acme Corp', channel: 'C0CHAN001', ts: '1.000001' };
    for (const [name, result, error] of [
      ['org-summary-ready', { summary: 'ok' }, null],
      ['org-summary-failed', null, 'down'],
    ] as const) {
      const step: StepEvent = {
        ...fixtureEvent('event_app_mention'),
        deliveryId: `step:${name}`,
        source: 'step',
        kind: 'step',
        name,
        payload: { result, error, data: message, effect: 'task orgSummary', from: 'x', threadTs: null },
      };
      for (const effect of (await router.dispatch(step, contexts[0] ?? testContext())).effects) {
        if (effect.type === 'api') seen.add(effect.method);
      }
    }
    expect([...seen].sort()).toEqual([...linkApp().methods].sort());
  });

  it('reports what a broken manifest lacks', () => {
    const broken = ManifestSchema.parse({
      ...manifest,
      features: { ...manifest.features, unfurl_domains: ['example.org'], slash_commands: [] },
      oauth_config: { scopes: { bot: ['chat:write'] } },
      settings: {
        ...manifest.settings,
        interactivity: { is_enabled: false },
        event_subscriptions: { bot_events: ['app_mention'] },
      },
    });
    expect(checkManifest(broken, createRoutes().routes(), linkApp().methods, appUrl)).toEqual([
      'features.slash_commands lacks /link',
      'oauth_config.scopes.bot lacks commands (needed by /link)',
      'features.slash_commands lacks /unlink',
      'oauth_config.scopes.bot lacks commands (needed by /unlink)',
      'oauth_config.scopes.bot lacks app_mentions:read (needed by the app_mention event)',
      'settings.event_subscriptions.bot_events lacks link_shared',
      'oauth_config.scopes.bot lacks links:read (needed by the link_shared event)',
      'settings.event_subscriptions.bot_events lacks app_home_opened',
      'settings.event_subscriptions.bot_events lacks app_uninstalled',
      'settings.event_subscriptions.bot_events lacks tokens_revoked',
      'settings.interactivity.is_enabled must be true (a block_action handler is registered)',
      'settings.interactivity.is_enabled must be true (a options handler is registered)',
      'settings.interactivity.is_enabled must be true (a view_submission handler is registered)',
      'oauth_config.scopes.bot lacks links:write (needed by chat.unfurl)',
      'features.unfurl_domains does not cover app.example.com (APP_URL)',
    ]);
  });

  it('asks for the scopes of any Web API method the app declares', () => {
    const methods = [...linkApp().methods, 'reactions.add', 'conversations.history'] as const;
    expect(checkManifest(manifest, createRoutes().routes(), methods, appUrl)).toEqual([
      'oauth_config.scopes.bot lacks reactions:write (needed by reactions.add)',
      'oauth_config.scopes.bot lacks channels:history (needed by conversations.history)',
    ]);
  });

  it('names a method whose scopes it does not know, until the app declares them', () => {
    const methods = ['admin.conversations.search'] as const;
    expect(checkManifest(manifest, createRoutes().routes(), methods, appUrl)).toEqual([
      "admin.conversations.search: its scopes are unknown here: declare them in the app (scopes: { 'admin.conversations.search': [...] })",
    ]);
    const declared = { 'admin.conversations.search': ['admin.conversations:read'] };
    expect(checkManifest(manifest, createRoutes().routes(), methods, appUrl, declared)).toEqual([
      'oauth_config.scopes.bot lacks admin.conversations:read (needed by admin.conversations.search)',
    ]);
  });
});
