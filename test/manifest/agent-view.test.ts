import { describe, expect, it } from 'vitest';
import { checkManifest, ManifestSchema } from '../../src/manifest/check.js';

const appUrl = new URL('https://app.example.com');

/** A manifest subscribed to every assistant and agent event, with the given views and bot scopes. */
function manifestWith(features: Record<string, unknown>, bot: string[] = ['assistant:write']) {
  return ManifestSchema.parse({
    display_information: { name: 'Ask Org Linker' },
    features,
    oauth_config: { scopes: { bot } },
    settings: {
      event_subscriptions: {
        bot_events: [
          'assistant_thread_started',
          'assistant_thread_context_changed',
          'app_context_changed',
          'agent_session_stopped',
          'agent_session_title_changed',
        ],
      },
    },
  });
}
const check = (manifest: ReturnType<typeof manifestWith>, routes: string[]) =>
  checkManifest(
    manifest,
    routes.map((route) => ({ route, calls: [] })),
    appUrl,
  );

const assistantRoutes = ['event:assistant_thread_started', 'event:assistant_thread_context_changed'];
const agentRoutes = [
  'event:app_context_changed',
  'event:agent_session_stopped',
  'event:agent_session_title_changed',
];

describe('checkManifest for the assistant pane and agent view', () => {
  it('keeps the views, with the fields Slack adds, when it parses a manifest', () => {
    const view = { assistant_description: 'Answers about your org', suggested_prompts: [] };
    const manifest = manifestWith({ assistant_view: view, agent_view: {} });
    expect([manifest.features.assistant_view, manifest.features.agent_view]).toEqual([view, {}]);
  });

  it('accepts assistant events with assistant_view and assistant:write', () => {
    expect(check(manifestWith({ assistant_view: {} }), assistantRoutes)).toEqual([]);
  });

  it('accepts assistant events with agent_view instead of assistant_view', () => {
    expect(check(manifestWith({ agent_view: {} }), assistantRoutes)).toEqual([]);
  });

  it('asks for a view when an assistant event is routed without one', () => {
    expect(check(manifestWith({}), assistantRoutes)).toEqual([
      'features lacks assistant_view or agent_view (needed by the assistant_thread_started event)',
      'features lacks assistant_view or agent_view (needed by the assistant_thread_context_changed event)',
    ]);
  });

  it('asks for assistant:write when an assistant event is routed', () => {
    expect(check(manifestWith({ assistant_view: {} }, []), assistantRoutes)).toEqual([
      'oauth_config.scopes.bot lacks assistant:write (needed by the assistant_thread_started event, the assistant_thread_context_changed event)',
    ]);
  });

  it('accepts the agent events with agent_view', () => {
    expect(check(manifestWith({ agent_view: {} }, []), agentRoutes)).toEqual([]);
  });

  it('asks for agent_view for the agent events, even with assistant_view', () => {
    expect(check(manifestWith({ assistant_view: {} }), agentRoutes)).toEqual([
      'features lacks agent_view (needed by the app_context_changed event)',
      'features lacks agent_view (needed by the agent_session_stopped event)',
      'features lacks agent_view (needed by the agent_session_title_changed event)',
    ]);
  });

  it('still asks for the bot event subscription', () => {
    const manifest = manifestWith({ agent_view: {} });
    manifest.settings.event_subscriptions = { bot_events: [] };
    expect(check(manifest, ['event:assistant_thread_started', 'event:agent_session_stopped'])).toEqual([
      'settings.event_subscriptions.bot_events lacks assistant_thread_started',
      'settings.event_subscriptions.bot_events lacks agent_session_stopped',
    ]);
  });
});
