import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { installations, outbox } from '../../src/db/schema.js';
import { decryptToken } from '../../src/db/token-crypto.js';
import { refreshDueTokens } from '../../src/slack/tokens.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { type TestDatabase, testDatabases } from '../helpers/databases.js';
import { fixture } from '../helpers/fixtures.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  emptyTables,
  install,
  KEY,
  leaks,
  logLines,
  mention,
  OLD_KEY,
  oauthStack,
  scriptSlack,
  workspaceInstall,
} from './stack.js';

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(() => fake.reset());

const HOUR = 3_600_000;
const INSTALLS = {
  'code-acme': workspaceInstall('T0001ACME', 'xoxb-acme-installed-1'),
  // Token rotation on: the token expires within the 2-hour window, so its first use refreshes it.
  'code-rotating': workspaceInstall('T0007ROTA', 'xoxe.xoxb-1-rotating-old', {
    refresh_token: 'xoxe-1-refresh-old',
    expires_in: 3600,
  }),
};

/** Slack's refresh: the old refresh token works once, slowly (so racing callers overlap). */
function scriptRefresh(): void {
  fake.on('oauth.v2.access', (call) => {
    if (call.args.grant_type !== 'refresh_token') {
      const reply = INSTALLS[String(call.args.code) as keyof typeof INSTALLS];
      return { body: reply ? { ok: true, ...reply } : { ok: false, error: 'invalid_code' } };
    }
    const spent =
      fake.callsOf('oauth.v2.access').filter((c) => c.args.grant_type === 'refresh_token').length > 1;
    if (call.args.refresh_token !== 'xoxe-1-refresh-old' || spent)
      return { body: { ok: false, error: 'invalid_refresh_token' } };
    return {
      delayMs: 150,
      body: {
        ok: true,
        token_type: 'bot',
        access_token: 'xoxe.xoxb-1-rotating-new',
        refresh_token: 'xoxe-1-refresh-new',
        expires_in: 43_200,
      },
    };
  });
}

const posts = () => fake.callsOf('chat.postMessage').map((call) => call.token);
const failures = (database: DatabaseHandle) =>
  database.db.select({ status: outbox.status, lastError: outbox.lastError }).from(outbox);

describe.each(testDatabases())('bot tokens on %s', (_name, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await emptyTables(database);
    scriptSlack(fake, INSTALLS);
  });

  it('refreshes an expiring token exactly once while 20 deliveries arrive at once on two processes', async () => {
    scriptRefresh();
    const one = await oauthStack(fake, database);
    const two = await oauthStack(fake, (await database.another?.()) ?? database);
    expect((await install(one, 'code-rotating')).status).toBe(200);
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : two).deliver(mention('T0007ROTA'))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    await Promise.all([one.settled(), two.settled()]);

    const refreshes = fake
      .callsOf('oauth.v2.access')
      .filter((call) => call.args.grant_type === 'refresh_token');
    expect(refreshes.map((call) => call.args)).toEqual([
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_type: 'refresh_token',
        refresh_token: 'xoxe-1-refresh-old',
      },
    ]);
    expect(posts()).toEqual(Array(20).fill('xoxe.xoxb-1-rotating-new'));
    const [row] = await database.db.select().from(installations);
    expect(await decryptToken(KEY, row?.botToken ?? '')).toBe('xoxe.xoxb-1-rotating-new');
    expect(await decryptToken(KEY, row?.botRefreshToken ?? '')).toBe('xoxe-1-refresh-new');
    const expires = (row?.botTokenExpiresAt?.getTime() ?? 0) - started;
    expect(expires).toBeGreaterThan(12 * HOUR - 60_000);
    expect(expires).toBeLessThanOrEqual(12 * HOUR + 60_000);
  });

  it('stores the refresh token and expiry at install, encrypted', async () => {
    const stack = await oauthStack(fake, database);
    const before = Date.now();
    await install(stack, 'code-rotating');
    const [row] = await database.db.select().from(installations);
    expect(row?.botRefreshToken).not.toContain('xoxe');
    expect(await decryptToken(KEY, row?.botRefreshToken ?? '')).toBe('xoxe-1-refresh-old');
    const expires = (row?.botTokenExpiresAt?.getTime() ?? 0) - before;
    expect(expires).toBeGreaterThan(HOUR - 60_000);
    expect(expires).toBeLessThanOrEqual(HOUR + 60_000);
  });

  it('uses a token that is not due as it is, and the old one while Slack refuses a refresh', async () => {
    fake.on('oauth.v2.access', (call) =>
      call.args.grant_type === 'refresh_token'
        ? { body: { ok: false, error: 'invalid_refresh_token' } }
        : { body: { ok: true, ...INSTALLS['code-rotating'], expires_in: 5 * 3600 } },
    );
    const stack = await oauthStack(fake, database);
    await install(stack, 'code-rotating');
    await stack.deliver(mention('T0007ROTA'));
    await stack.settled();
    expect(fake.callsOf('oauth.v2.access')).toHaveLength(1); // the install's, no refresh
    await database.db.update(installations).set({ botTokenExpiresAt: new Date(Date.now() + HOUR) });
    const fresh = await oauthStack(fake, database);
    await fresh.deliver(mention('T0007ROTA'));
    await fresh.settled();
    expect(fake.callsOf('oauth.v2.access').map((call) => call.args.grant_type ?? 'code')).toEqual([
      'code',
      'refresh_token',
    ]);
    expect(posts()).toEqual(['xoxe.xoxb-1-rotating-old', 'xoxe.xoxb-1-rotating-old']);
  });

  it('refreshes due tokens on a schedule, so an idle workspace does not come back to a dead token', async () => {
    scriptRefresh();
    const stack = await oauthStack(fake, database);
    await install(stack, 'code-acme');
    await install(stack, 'code-rotating');
    const config = loadConfig({
      SLACK_API_URL: fake.apiUrl,
      SLACK_CLIENT_ID: CLIENT_ID,
      SLACK_CLIENT_SECRET: CLIENT_SECRET,
      TOKEN_ENCRYPTION_KEY: KEY,
      SLACK_RATE_LIMITS: 'off', // 20 replies at once: about token refresh, not Slack's limits
    });
    expect(await refreshDueTokens(database.db, config)).toBe(1);
    expect(await refreshDueTokens(database.db, config)).toBe(0);
    expect(fake.callsOf('oauth.v2.access').map((call) => call.args.grant_type ?? 'code')).toEqual([
      'code',
      'code',
      'refresh_token',
    ]);
    const rows = await database.db.select().from(installations).where(eq(installations.teamId, 'T0007ROTA'));
    expect(await decryptToken(KEY, rows[0]?.botToken ?? '')).toBe('xoxe.xoxb-1-rotating-new');
  });

  it('after an uninstall, fails the team’s effects with the reason, and still acks', async () => {
    const stack = await oauthStack(fake, database);
    await install(stack, 'code-acme');
    expect((await stack.deliver(fixture('event_app_uninstalled'))).status).toBe(200);
    await stack.settled();
    expect(await database.db.select().from(installations)).toEqual([]);
    expect((await stack.deliver(mention('T0001ACME'))).status).toBe(200);
    await stack.settled();
    expect(posts()).toEqual([]);
    expect((await failures(database)).filter((f) => f.status === 'failed')).toEqual([
      {
        status: 'failed',
        lastError: 'no bot token for team T0001ACME: install the app or set SLACK_BOT_TOKEN',
      },
    ]);
  });

  it('reads rows sealed with TOKEN_ENCRYPTION_KEY_OLD and seals them again with the new key', async () => {
    const before = await oauthStack(fake, database, { TOKEN_ENCRYPTION_KEY: OLD_KEY });
    await install(before, 'code-acme');
    const after = await oauthStack(fake, database, { TOKEN_ENCRYPTION_KEY_OLD: OLD_KEY });
    await after.deliver(mention('T0001ACME'));
    await after.settled();
    expect(posts()).toEqual(['xoxb-acme-installed-1']);
    const [row] = await database.db.select().from(installations);
    expect(await decryptToken(KEY, row?.botToken ?? '')).toBe('xoxb-acme-installed-1');
  });

  it('fails with an error naming the installation when a row does not decrypt', async () => {
    const before = await oauthStack(fake, database, { TOKEN_ENCRYPTION_KEY: OLD_KEY });
    await install(before, 'code-acme');
    const [row] = await database.db.select({ id: installations.id }).from(installations);
    const after = await oauthStack(fake, database);
    await after.deliver(mention('T0001ACME'));
    await after.settled();
    expect(posts()).toEqual([]);
    const errors = (await failures(database)).map((f) => f.lastError).filter(Boolean);
    expect(errors[0]).toBe(
      `installation ${row?.id} (team T0001ACME) does not decrypt with TOKEN_ENCRYPTION_KEY or TOKEN_ENCRYPTION_KEY_OLD: set the key it was stored with, or reinstall the app there`,
    );
  });

  it('logged no token, refresh token, secret, code, state or key', () => {
    const secrets = [
      ...Object.entries(INSTALLS).flatMap(([code, reply]) => [code, reply.access_token]),
      'xoxe-1-refresh-old',
      'xoxe-1-refresh-new',
      'xoxe.xoxb-1-rotating-new',
    ];
    expect(logLines.length).toBeGreaterThan(20);
    expect(leaks(secrets)).toEqual([]);
  });
});
