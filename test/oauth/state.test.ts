import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/settings.js';
import { ManifestSchema } from '../../src/manifest/check.js';
import { loadManifest, placeholderValues } from '../../src/manifest/placeholders.js';
import { BOT_SCOPES, checkInstallScopes } from '../../src/oauth/scopes.js';
import { deriveStateSecret, issueState, readState, STATE_TTL_MS } from '../../src/oauth/state.js';
import { KEY } from './stack.js';

const SECRET = 'a-state-secret-of-at-least-32-characters';
const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('OAuth state', () => {
  it('reads back what it issued until it expires, 10 minutes later', async () => {
    const issued = await issueState(SECRET, NOW);
    expect(await readState(SECRET, issued.state, NOW + STATE_TTL_MS - 1)).toEqual({
      ok: true,
      id: issued.id,
      expiresAt: NOW + STATE_TTL_MS,
    });
    expect(await readState(SECRET, issued.state, NOW + STATE_TTL_MS)).toEqual({
      ok: false,
      problem: 'expired',
    });
  });

  it('gives every state its own id', async () => {
    const ids = new Set(
      await Promise.all(Array.from({ length: 50 }, async () => (await issueState(SECRET, NOW)).id)),
    );
    expect(ids.size).toBe(50);
  });

  it.each([
    ['another secret', async (state: string) => (await readState(`${SECRET}x`, state, NOW)).ok],
    // Change the id's first character to one it is not (a fixed letter would match one state in 64).
    [
      'a changed id',
      async (state: string) =>
        (await readState(SECRET, `${state.startsWith('A') ? 'B' : 'A'}${state.slice(1)}`, NOW)).ok,
    ],
    ['a cut signature', async (state: string) => (await readState(SECRET, state.slice(0, -2), NOW)).ok],
    ['an extra part', async (state: string) => (await readState(SECRET, `${state}.x`, NOW)).ok],
  ])('refuses %s as forged', async (_what, check) => {
    expect(await check((await issueState(SECRET, NOW)).state)).toBe(false);
  });

  it('names a missing state and a malformed one', async () => {
    expect(await readState(SECRET, undefined, NOW)).toEqual({ ok: false, problem: 'missing' });
    expect(await readState(SECRET, 'a.b.c!', NOW)).toEqual({ ok: false, problem: 'forged' });
  });

  it('derives its secret from the client secret when SLACK_STATE_SECRET is unset, never equal to it', async () => {
    const derived = await deriveStateSecret('client-secret');
    expect(derived).toBe(await deriveStateSecret('client-secret'));
    expect(derived).not.toBe(await deriveStateSecret('client-secret2'));
    expect(derived).not.toContain('client-secret');
  });
});

describe('install scopes', () => {
  const manifest = ManifestSchema.parse(
    loadManifest('manifest.yaml', placeholderValues({}, new URL('https://app.example.com'))),
  );

  it('are exactly manifest.yaml’s bot scopes', () => {
    expect(checkInstallScopes(manifest)).toEqual([]);
    expect([...BOT_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
  });

  it('report a manifest that drifted', () => {
    const drifted = ManifestSchema.parse({
      ...manifest,
      oauth_config: {
        // The manifest's own scopes, one dropped and one added: whatever the app asks for today.
        scopes: {
          bot: [...manifest.oauth_config.scopes.bot.filter((s) => s !== 'app_mentions:read'), 'users:read'],
        },
      },
    });
    expect(checkInstallScopes(drifted)).toEqual([
      'oauth_config.scopes.bot lacks app_mentions:read (asked for at install: src/oauth/scopes.ts)',
      'oauth_config.scopes.bot has users:read, which src/oauth/scopes.ts does not ask for at install',
    ]);
  });
});

describe('OAuth settings', () => {
  it('require TOKEN_ENCRYPTION_KEY once SLACK_CLIENT_ID is set, in one line', () => {
    expect(() => loadConfig({ SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 's' })).toThrow(
      'TOKEN_ENCRYPTION_KEY is required when SLACK_CLIENT_ID is set (installations are stored encrypted): generate one with: openssl rand -base64 32',
    );
    expect(
      loadConfig({ SLACK_CLIENT_ID: '1.2', TOKEN_ENCRYPTION_KEY: KEY }).SLACK_INSTALL_WITHOUT_STATE,
    ).toBe(undefined);
  });

  it('refuse a malformed old key and a short state secret', () => {
    expect(() => loadConfig({ TOKEN_ENCRYPTION_KEY_OLD: 'short' })).toThrow(
      'TOKEN_ENCRYPTION_KEY_OLD is invalid (must be 32 bytes in base64): the previous TOKEN_ENCRYPTION_KEY, while stored tokens move to the new one',
    );
    expect(() => loadConfig({ SLACK_STATE_SECRET: 'short' })).toThrow(
      'SLACK_STATE_SECRET is invalid (must be at least 32 characters)',
    );
  });
});
