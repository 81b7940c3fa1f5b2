import { describe, expect, it } from 'vitest';
import { diffManifests, formatChange, liveDrift } from '../../src/manifest/diff.js';
import { edited, laptopManifest } from './setup.js';

const local = laptopManifest();
const lines = (live: Record<string, unknown>, mine: Record<string, unknown> = local) =>
  diffManifests(live, mine).map(formatChange);

describe('diffManifests', () => {
  it('finds nothing between a manifest and itself', () => {
    expect(lines(local)).toEqual([]);
  });

  it('treats scopes, events and domains as sets: a reordering is no difference', () => {
    const live = edited(local, (m) => {
      m.oauth_config.scopes.bot.reverse();
      m.settings.event_subscriptions.bot_events.reverse();
      m.features.unfurl_domains = ['app.example.com', 'app.example.com'];
      m.features.slash_commands.reverse();
    });
    expect(lines(live)).toEqual([]);
  });

  it('ignores the defaults Slack adds on export, and empty lists', () => {
    const live = {
      _metadata: { major_version: 1, minor_version: 1 },
      ...edited(local, (m) => {
        m.settings.is_hosted = false;
        m.settings.token_rotation_enabled = false;
        m.oauth_config.token_management_enabled = false;
        m.oauth_config.redirect_urls = [];
      }),
    };
    const mine = edited(local, (m) => {
      delete m.settings.org_deploy_enabled;
    });
    expect(lines(live, mine)).toEqual([]);
  });

  it('still reports a default-named field set to something else', () => {
    const live = edited(local, (m) => {
      m.settings.is_hosted = true;
    });
    expect(lines(live)).toEqual(['settings.is_hosted: true → (absent)']);
  });

  it('names each added and removed element and each changed field by its path', () => {
    const live = edited(local, (m) => {
      m.display_information.name = 'Org Linker (old)';
      m.settings.event_subscriptions.bot_events = m.settings.event_subscriptions.bot_events.filter(
        (e) => e !== 'link_shared',
      );
      m.settings.event_subscriptions.bot_events.push('reaction_added');
      const link = m.features.slash_commands[0];
      if (link) link.description = 'Old words';
      m.features.slash_commands.push({ command: '/ping', description: 'Ping' });
    });
    expect(lines(live)).toEqual([
      'display_information.name: "Org Linker (old)" → "Org Linker"',
      'features.slash_commands[/link].description: "Old words" → "Link this channel to an organization"',
      'features.slash_commands[-] {"command":"/ping","description":"Ping"}',
      'settings.event_subscriptions.bot_events[+] link_shared',
      'settings.event_subscriptions.bot_events[-] reaction_added',
    ]);
  });

  it('counts as live drift what a push would remove or overwrite, not what it would add', () => {
    const live = edited(local, (m) => {
      m.oauth_config.scopes.bot = m.oauth_config.scopes.bot.filter((s) => s !== 'links:write');
      m.oauth_config.scopes.bot.push('reactions:read');
      m.display_information.name = 'Renamed in the dashboard';
    });
    expect(liveDrift(diffManifests(live, local)).map(formatChange)).toEqual([
      'display_information.name: "Renamed in the dashboard" → "Org Linker"',
      'oauth_config.scopes.bot[-] reactions:read',
    ]);
  });

  it('compares lists of other objects item by item', () => {
    expect(lines({ a: [{ x: 1 }, { x: 2 }] }, { a: [{ x: 1 }, { x: 3 }, { x: 4 }] })).toEqual([
      'a[1].x: 2 → 3',
      'a[2]: (absent) → {"x":4}',
    ]);
  });
});
