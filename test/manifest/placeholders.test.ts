// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are manifest placeholders, not templates
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ManifestError } from '../../src/manifest/errors.js';
import { fillPlaceholders, loadManifest, placeholderValues } from '../../src/manifest/placeholders.js';

const values = (env: Record<string, string | undefined> = {}, appUrl = 'https://app.example.com') =>
  placeholderValues(env, new URL(appUrl));

describe('placeholders', () => {
  it('fills manifest.yaml for a laptop: Socket Mode, no request URLs, APP_URL default host', () => {
    const manifest = loadManifest('manifest.yaml', values());
    expect(manifest.display_information).toEqual({
      name: 'Org Linker',
      description: "Links Slack channels to your product's organizations.",
      background_color: '#2c2d30',
    });
    expect(manifest.features).toMatchObject({ unfurl_domains: ['app.example.com'] });
    expect(manifest.settings).toMatchObject({
      event_subscriptions: { bot_events: expect.arrayContaining(['app_mention']) },
      interactivity: { is_enabled: true },
      socket_mode_enabled: true,
    });
    expect(JSON.stringify(manifest)).not.toMatch(/url":/); // no url, request_url, message_menu_options_url
  });

  it('fills manifest.yaml for production: request URLs, socket mode off, the name suffix, the unfurl host', () => {
    const url = 'https://slack.acme.io/slack/events';
    const manifest = loadManifest(
      'manifest.yaml',
      values(
        { SLACK_REQUEST_URL: url, SLACK_SOCKET_MODE: '0', SLACK_APP_NAME_SUFFIX: ' (prod)' },
        'https://acme.io:8443/base/',
      ),
    );
    expect(manifest.display_information).toMatchObject({ name: 'Org Linker (prod)' });
    expect(manifest.features).toMatchObject({ unfurl_domains: ['acme.io'] });
    const commands = z
      .object({
        features: z.object({ slash_commands: z.array(z.object({ command: z.string(), url: z.string() })) }),
      })
      .parse(manifest).features.slash_commands;
    expect(commands).toContainEqual({ command: '/link', url });
    expect(commands.filter((c) => c.url !== url)).toEqual([]);
    expect(manifest.settings).toMatchObject({
      event_subscriptions: { request_url: url },
      interactivity: { is_enabled: true, request_url: url, message_menu_options_url: url },
      socket_mode_enabled: false,
    });
  });

  it('fills inside strings, uses defaults, and reads a whole placeholder as a YAML scalar', () => {
    expect(
      fillPlaceholders(
        {
          a: '${APP_URL}/orgs',
          b: '${MISSING:-x}-${N}',
          c: '${N}',
          d: '${FLAG:-true}',
          e: ['${EMPTY:-}', 'k'],
        },
        values({ N: '42' }),
      ),
    ).toEqual({ a: 'https://app.example.com/orgs', b: 'x-42', c: 42, d: true, e: ['k'] });
  });

  it('names the field and the variable when a placeholder has no value', () => {
    expect(() => fillPlaceholders({ settings: { x: 'a ${NOPE}' } }, values())).toThrow(
      new ManifestError('manifest.yaml: settings.x needs NOPE, which is not set'),
    );
  });
});
