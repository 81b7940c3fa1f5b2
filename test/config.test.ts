import { describe, expect, it } from 'vitest';
import { parseSettings } from '../src/app/settings.js';
import { loadConfig, requireKeys } from '../src/config/settings.js';
import { parseDatabaseUrl } from '../src/db/database.js';

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  return 'no error';
}

describe('configuration', () => {
  it('has defaults for everything optional, and treats empty values as unset', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: '', PORT: '', UNRELATED: 'x' });
    expect(config).toEqual({
      SLACK_SOCKET_MODE: false,
      SLACK_DRY_RUN: false,
      SLACK_API_URL: 'https://slack.com/api/',
      PORT: 3000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'text',
      INSPECTOR_RING: 1000,
      INSPECTOR_PORT: 3001,
      RECORD_DEADLINE_MS: 2000,
      DATABASE_STATEMENT_TIMEOUT_MS: 5000,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
    });
  });

  it("reads the app's own APP_URL, with a default, and names it when it is not a URL", () => {
    expect(parseSettings({}).appUrl.href).toBe('https://app.example.com/');
    expect(parseSettings({ APP_URL: 'https://acme.test/app' }).appUrl.href).toBe('https://acme.test/app');
    expect(errorOf(() => parseSettings({ APP_URL: 'example.com' }))).toBe(
      "ConfigError: APP_URL is invalid (Invalid URL): your product's base URL, e.g. https://app.example.com",
    );
  });

  it('takes an IPv4, IPv6 or host name for HOST', () => {
    expect(['0.0.0.0', '::', 'localhost'].map((HOST) => loadConfig({ HOST }).HOST)).toEqual([
      '0.0.0.0',
      '::',
      'localhost',
    ]);
  });

  it('adds the trailing slash SLACK_API_URL needs', () => {
    expect(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:9000/api' }).SLACK_API_URL).toBe(
      'http://127.0.0.1:9000/api/',
    );
  });

  it.each([
    [
      { SLACK_BOT_TOKEN: 'xapp-1' },
      'ConfigError: SLACK_BOT_TOKEN is invalid (must start with xoxb-): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
    ],
    [
      { SLACK_APP_TOKEN: 'xoxb-1' },
      'ConfigError: SLACK_APP_TOKEN is invalid (must start with xapp-): create an app-level token with connections:write (Basic Information → App-Level Tokens, xapp-…)',
    ],
    [
      { PORT: 'eighty' },
      'ConfigError: PORT is invalid (Invalid input: expected number, received NaN): a TCP port number such as 3000',
    ],
    [
      { HOST: 'http://0.0.0.0' },
      'ConfigError: HOST is invalid (Invalid input): 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, e.g. in a container)',
    ],
    [
      { TOKEN_ENCRYPTION_KEY: 'short' },
      'ConfigError: TOKEN_ENCRYPTION_KEY is invalid (must be 32 bytes in base64): generate one with: openssl rand -base64 32',
    ],
    [
      { SLACK_SOCKET_MODE: 'yes' },
      'ConfigError: SLACK_SOCKET_MODE is invalid (Invalid option: expected one of "0"|"1"|"true"|"false"): true or false',
    ],
  ])('refuses %j in one line that names it', (env, message) => {
    expect(errorOf(() => loadConfig(env))).toBe(message);
  });

  it('names a missing required setting and where to get it', () => {
    expect(errorOf(() => requireKeys(loadConfig({}), ['SLACK_APP_TOKEN']))).toBe(
      'ConfigError: SLACK_APP_TOKEN is required: create an app-level token with connections:write (Basic Information → App-Level Tokens, xapp-…)',
    );
  });
});

describe('DATABASE_URL', () => {
  it.each([
    [undefined, { driver: 'pglite', dataDir: '.data/pglite' }],
    ['memory://', { driver: 'pglite', dataDir: null }],
    [
      'postgres://u:p@db.internal:6543/app',
      {
        driver: 'postgres',
        url: 'postgres://u:p@db.internal:6543/app',
        host: 'db.internal',
        port: '6543',
        database: 'app',
      },
    ],
    [
      'postgresql://localhost/app',
      {
        driver: 'postgres',
        url: 'postgresql://localhost/app',
        host: 'localhost',
        port: '5432',
        database: 'app',
      },
    ],
  ])('%s chooses %j', (url, target) => {
    expect(parseDatabaseUrl(url)).toEqual(target);
  });

  it.each([
    [
      'mysql://root:secret@host/db',
      'ConfigError: DATABASE_URL must start with postgres:// or postgresql://, be memory://, or be unset for the embedded database in .data/pglite (got mysql://…)',
    ],
    [
      '.data/other',
      'ConfigError: DATABASE_URL must start with postgres:// or postgresql://, be memory://, or be unset for the embedded database in .data/pglite (got something else)',
    ],
    [
      'postgres://[bad',
      'ConfigError: DATABASE_URL is not a valid URL: use postgres://user:password@host:5432/database',
    ],
  ])('refuses %s without repeating its credentials', (url, message) => {
    expect(errorOf(() => parseDatabaseUrl(url))).toBe(message);
  });
});
