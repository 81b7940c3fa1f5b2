import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigTokens, replaceEnvLines, writeConfigTokens } from '../../src/manifest/config-token.js';

const WHERE =
  'create them at https://api.slack.com/apps → "Your App Configuration Tokens" → Generate Token, and set SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN in .env';

describe('config tokens', () => {
  it('says where to create them when both are missing', () => {
    expect(() => readConfigTokens({ SLACK_CONFIG_TOKEN: '' })).toThrow(
      `SLACK_CONFIG_TOKEN and SLACK_CONFIG_REFRESH_TOKEN are required: ${WHERE}`,
    );
  });

  it('names a malformed one without printing it', () => {
    expect(() => readConfigTokens({ SLACK_CONFIG_TOKEN: 'xoxb-secret-value' })).toThrow(
      `SLACK_CONFIG_TOKEN is invalid (must start with xoxe.xoxp-): ${WHERE}`,
    );
  });

  it('replaces the two lines and keeps every other byte', () => {
    const before =
      '# tokens\r\nSLACK_CONFIG_TOKEN="xoxe.xoxp-1-old"\r\nAPP_URL=https://x.io # keep\r\nexport SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-old\r\n\r\nLAST=1';
    expect(
      replaceEnvLines(before, {
        SLACK_CONFIG_TOKEN: 'xoxe.xoxp-1-new',
        SLACK_CONFIG_REFRESH_TOKEN: 'xoxe-1-new',
      }),
    ).toBe(
      '# tokens\r\nSLACK_CONFIG_TOKEN=xoxe.xoxp-1-new\r\nAPP_URL=https://x.io # keep\r\nexport SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-new\r\n\r\nLAST=1',
    );
  });

  it('appends the lines a file lacks', () => {
    expect(replaceEnvLines('A=1', { SLACK_CONFIG_TOKEN: 't', SLACK_CONFIG_REFRESH_TOKEN: 'r' })).toBe(
      'A=1\nSLACK_CONFIG_TOKEN=t\nSLACK_CONFIG_REFRESH_TOKEN=r\n',
    );
  });

  it('writes the pair into .env, keeping its mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-'));
    try {
      const file = join(dir, '.env');
      writeFileSync(file, 'SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-old\nSLACK_CONFIG_TOKEN=xoxe.xoxp-1-old\n', {
        mode: 0o640,
      });
      writeConfigTokens(file, { token: 'xoxe.xoxp-1-new', refreshToken: 'xoxe-1-new' });
      expect(readFileSync(file, 'utf8')).toBe(
        'SLACK_CONFIG_REFRESH_TOKEN=xoxe-1-new\nSLACK_CONFIG_TOKEN=xoxe.xoxp-1-new\n',
      );
      expect(statSync(file).mode & 0o777).toBe(0o640);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
