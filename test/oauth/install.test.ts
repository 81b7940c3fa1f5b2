import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installations, oauthStates } from '../../src/db/schema.js';
import { decryptToken } from '../../src/db/token-crypto.js';
import { BOT_SCOPES } from '../../src/oauth/scopes.js';
import { deriveStateSecret, issueState } from '../../src/oauth/state.js';
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
  oauthStack,
  scriptSlack,
  workspaceInstall,
} from './stack.js';

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(() => fake.reset());

const INSTALLS = {
  'code-acme': workspaceInstall('T0001ACME', 'xoxb-acme-installed-1'),
  'code-acme-again': workspaceInstall('T0001ACME', 'xoxb-acme-installed-2'),
  'code-globex': workspaceInstall('T0002GLBX', 'xoxb-globex-installed'),
  'code-grid': {
    ...workspaceInstall('T0009GRID', 'xoxb-grid-org-wide'),
    team: null,
    enterprise: { id: 'E0GRID001', name: 'Grid Corp' },
    is_enterprise_install: true,
  },
};

/** The Web API calls (not OAuth's) the fake saw, as [method, token]. */
const posts = () => fake.callsOf('chat.postMessage').map((call) => call.token);

describe.each(testDatabases())('OAuth install on %s', (_name, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
  }, 120_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await emptyTables(database);
    scriptSlack(fake, INSTALLS);
  });

  it('runs a whole install: page, authorize URL, code exchange, encrypted row, and a mention answered with its token', async () => {
    const stack = await oauthStack(fake, database, {
      SLACK_REDIRECT_URI: 'https://router.example.com/slack/oauth_redirect',
    });
    const { page, body, authorize, cookie } = await stack.openInstallPage();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(body).toContain('Add to Slack');
    expect(body).not.toContain('<script');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(
      `http://127.0.0.1:${fake.port}/oauth/v2/authorize`,
    );
    const state = authorize.searchParams.get('state') ?? '';
    expect([...authorize.searchParams.keys()]).toEqual(['client_id', 'scope', 'redirect_uri', 'state']);
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(authorize.searchParams.get('scope')).toBe(BOT_SCOPES.join(',')); // what the install asks for
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      'https://router.example.com/slack/oauth_redirect',
    );
    expect(state).toMatch(/^[\w-]{22}\.[0-9a-z]+\.[\w-]{43}$/);
    expect(page.headers.get('set-cookie')).toBe(
      `${cookie}; Max-Age=600; Path=/slack/; HttpOnly; Secure; SameSite=Lax`,
    );
    expect(cookie).toBe(`slack_oauth_state=${state.split('.')[0]}`);

    const done = await stack.redirect({ code: 'code-acme', state }, cookie);
    const html = await done.text();
    expect(done.status).toBe(200);
    expect(html).toContain('The app is installed in Team T0001ACME.');
    expect(html).toContain('href="slack://open?team=T0001ACME"');
    expect(done.headers.get('set-cookie')).toContain('slack_oauth_state=; Max-Age=0; Path=/slack/');
    expect(fake.callsOf('oauth.v2.access').map((call) => call.args)).toEqual([
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        code: 'code-acme',
        redirect_uri: 'https://router.example.com/slack/oauth_redirect',
      },
    ]);

    const [row] = await database.db.select().from(installations);
    expect(row).toMatchObject({
      teamId: 'T0001ACME',
      teamName: 'Team T0001ACME',
      enterpriseId: null,
      isEnterpriseInstall: false,
      appId: 'A0APP0001',
      botUserId: 'U0001ACMEBOT',
      botId: 'BLLED-1',
      botScopes: ['app_mentions:read', 'chat:write', 'commands', 'links:read', 'links:write'],
      botRefreshToken: null,
      botTokenExpiresAt: null,
      installerUserId: 'U0001ACMEADMIN',
    });
    expect(row?.botToken).not.toContain('xoxb');
    expect(await decryptToken(KEY, row?.botToken ?? '')).toBe('xoxb-acme-installed-1');

    expect((await stack.deliver(mention('T0001ACME'))).status).toBe(200);
    await stack.settled();
    expect(posts()).toEqual(['xoxb-acme-installed-1']);
  });

  it('answers ?redirect=1 with a 302 straight to Slack, cookie set', async () => {
    const stack = await oauthStack(fake, database);
    const response = await stack.app.request('/slack/install?redirect=1');
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect([...location.searchParams.keys()]).toEqual(['client_id', 'scope', 'state']);
    expect(response.headers.get('set-cookie')).toMatch(
      /^slack_oauth_state=[\w-]{22}; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('answers each workspace with its own token', async () => {
    const stack = await oauthStack(fake, database);
    expect((await install(stack, 'code-acme')).status).toBe(200);
    expect((await install(stack, 'code-globex')).status).toBe(200);
    await stack.deliver(mention('T0001ACME'));
    await stack.deliver(mention('T0002GLBX'));
    await stack.settled();
    expect(posts().sort()).toEqual(['xoxb-acme-installed-1', 'xoxb-globex-installed']);
  });

  it('keys an org-wide Grid install by its enterprise and serves every team in it', async () => {
    const stack = await oauthStack(fake, database);
    const done = await install(stack, 'code-grid');
    expect(await done.text()).toContain('href="slack://open?team=E0GRID001"');
    const rows = await database.db.select().from(installations);
    expect(rows.map((r) => [r.enterpriseId, r.teamId, r.isEnterpriseInstall, r.enterpriseName])).toEqual([
      ['E0GRID001', null, true, 'Grid Corp'],
    ]);
    await stack.deliver(mention('T0003GRDA', 'E0GRID001'));
    await stack.deliver(mention('T0004GRDB', 'E0GRID001'));
    await stack.deliver(mention('T0005ELSE', 'E0OTHER01'));
    await stack.settled();
    expect(posts()).toEqual(['xoxb-grid-org-wide', 'xoxb-grid-org-wide']);
  });

  it.each(['event_app_uninstalled_org', 'event_tokens_revoked_org'])(
    'deletes the org-wide install on %s without a team id, and keeps a workspace’s own',
    async (name) => {
      const stack = await oauthStack(fake, database);
      await install(stack, 'code-grid');
      await install(stack, 'code-acme');
      const org = fixture(name);
      const payload = { ...org.payload, enterprise_id: 'E0GRID001' };
      expect((await stack.deliver({ ...org, payload })).status).toBe(200);
      await stack.settled();
      const rows = await database.db.select().from(installations);
      expect(rows.map((r) => [r.enterpriseId, r.teamId])).toEqual([[null, 'T0001ACME']]);
    },
  );

  it('updates the same row when a workspace installs again', async () => {
    const stack = await oauthStack(fake, database);
    await install(stack, 'code-acme');
    const [first] = await database.db.select().from(installations);
    expect((await install(stack, 'code-acme-again')).status).toBe(200);
    const rows = await database.db.select().from(installations);
    expect(rows.map((r) => r.id)).toEqual([first?.id]);
    expect(await decryptToken(KEY, rows[0]?.botToken ?? '')).toBe('xoxb-acme-installed-2');
    await stack.deliver(mention('T0001ACME'));
    await stack.settled();
    expect(posts()).toEqual(['xoxb-acme-installed-2']);
  });

  it('escapes what Slack sends back when it renders a page', async () => {
    scriptSlack(fake, {
      'code-evil': workspaceInstall('T0006EVIL', 'xoxb-evil', {
        team: { id: 'T0006EVIL', name: '<b>"Evil" & co</b>' },
      }),
    });
    const stack = await oauthStack(fake, database);
    const page = await (await install(stack, 'code-evil')).text();
    expect(/<p>([^<]+)<\/p>/.exec(page)?.[1]).toBe(
      'The app is installed in &lt;b&gt;&quot;Evil&quot; &amp; co&lt;/b&gt;.',
    );
    expect(page).not.toContain('<b>');
  });

  it('shows a friendly page when the person cancels, and exchanges nothing', async () => {
    const stack = await oauthStack(fake, database);
    const { authorize, cookie } = await stack.openInstallPage();
    const response = await stack.redirect(
      { error: 'access_denied', state: authorize.searchParams.get('state') ?? '' },
      cookie,
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You cancelled the install, so nothing was changed.');
    expect(fake.callsOf('oauth.v2.access')).toEqual([]);
  });

  describe('refuses a bad state with a 400 page that says why, before any code exchange', () => {
    const refusal = async (response: Response) => {
      const body = await response.text();
      return [response.status, /<p>([^<]+)<\/p>/.exec(body)?.[1]];
    };

    it('missing', async () => {
      const stack = await oauthStack(fake, database);
      const { cookie } = await stack.openInstallPage();
      expect(await refusal(await stack.redirect({ code: 'code-acme' }, cookie))).toEqual([
        400,
        'The link from Slack carried no state, so this install cannot be trusted. Start it again from the install page.',
      ]);
    });

    it('forged', async () => {
      const stack = await oauthStack(fake, database);
      const { authorize, cookie } = await stack.openInstallPage();
      const state = authorize.searchParams.get('state') ?? '';
      const [id, expiry] = state.split('.');
      // A later expiry with the old signature, and a state signed with another secret.
      const altered = `${id}.${(Number.parseInt(expiry ?? '', 36) + 1).toString(36)}.${state.split('.')[2]}`;
      const other = await issueState('another-secret-that-is-long-enough-000', Date.now());
      for (const forged of [altered, other.state, 'garbage']) {
        expect(await refusal(await stack.redirect({ code: 'code-acme', state: forged }, cookie))).toEqual([
          400,
          'The state in the link from Slack was not issued by this server (forged or altered). Start the install again.',
        ]);
      }
    });

    it('expired', async () => {
      const stack = await oauthStack(fake, database);
      const old = await issueState(await deriveStateSecret(CLIENT_SECRET), Date.now() - 10 * 60_000 - 1);
      expect(
        await refusal(
          await stack.redirect({ code: 'code-acme', state: old.state }, `slack_oauth_state=${old.id}`),
        ),
      ).toEqual([400, 'The install took more than 10 minutes, so its state expired. Start it again.']);
    });

    it('reused, even by another process sharing the database', async () => {
      const one = await oauthStack(fake, database);
      const two = await oauthStack(fake, (await database.another?.()) ?? database);
      const { authorize, cookie } = await one.openInstallPage();
      const state = authorize.searchParams.get('state') ?? '';
      expect((await one.redirect({ code: 'code-acme', state }, cookie)).status).toBe(200);
      for (const stack of [one, two]) {
        expect(await refusal(await stack.redirect({ code: 'code-acme', state }, cookie))).toEqual([
          400,
          'This install link was already used. Start the install again.',
        ]);
      }
      expect(fake.callsOf('oauth.v2.access')).toHaveLength(1);
      expect(await database.db.select({ id: oauthStates.id }).from(oauthStates)).toEqual([
        { id: state.split('.')[0] },
      ]);
    });

    it('cookie-less', async () => {
      const stack = await oauthStack(fake, database);
      const { authorize } = await stack.openInstallPage();
      expect(
        await refusal(
          await stack.redirect({ code: 'code-acme', state: authorize.searchParams.get('state') ?? '' }),
        ),
      ).toEqual([
        400,
        'This browser did not send the install cookie: finish the install in the browser that started it, with cookies allowed.',
      ]);
    });

    it('from another browser', async () => {
      const stack = await oauthStack(fake, database);
      const mine = await stack.openInstallPage();
      const theirs = await stack.openInstallPage();
      const state = mine.authorize.searchParams.get('state') ?? '';
      expect(await refusal(await stack.redirect({ code: 'code-acme', state }, theirs.cookie))).toEqual([
        400,
        'This install was started in another browser. Start it again in this one.',
      ]);
    });

    afterEach(async () => {
      expect(fake.callsOf('oauth.v2.access').length).toBeLessThanOrEqual(1);
      expect(
        await database.db.select().from(installations).where(eq(installations.teamId, 'T0002GLBX')),
      ).toEqual([]);
    });
  });

  it('accepts an install without state only when SLACK_INSTALL_WITHOUT_STATE=true', async () => {
    const strict = await oauthStack(fake, database);
    expect((await strict.redirect({ code: 'code-globex' })).status).toBe(400);
    const lenient = await oauthStack(fake, database, { SLACK_INSTALL_WITHOUT_STATE: 'true' });
    const installed = await lenient.redirect({ code: 'code-globex' });
    expect([installed.status, /<p>([^<]+)<\/p>/.exec(await installed.text())?.[1]]).toEqual([
      200,
      'The app is installed in Team T0002GLBX.',
    ]);
    // A state that is there is still checked.
    expect((await lenient.redirect({ code: 'code-globex', state: 'garbage' })).status).toBe(400);
    expect(fake.callsOf('oauth.v2.access')).toHaveLength(1);
  });

  it('shows Slack’s refusal of a code and stores nothing', async () => {
    const stack = await oauthStack(fake, database);
    const response = await install(stack, 'code-unknown');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      'Slack did not complete the install (invalid_code). Start it again.',
    );
    expect(await database.db.select().from(installations)).toEqual([]);
  });

  it('logged no token, secret, code, state or key, and rendered none in a page', () => {
    const secrets = Object.entries(INSTALLS).flatMap(([code, reply]) => [code, reply.access_token]);
    expect(logLines.some((line) => line.includes('installed') && line.includes('team=T0001ACME'))).toBe(true);
    expect(leaks(secrets)).toEqual([]);
  });

  it('answers 404 when OAuth is not configured', async () => {
    const stack = await oauthStack(fake, database, { SLACK_CLIENT_ID: '', SLACK_BOT_TOKEN: 'xoxb-single' });
    for (const path of ['/slack/install', '/slack/oauth_redirect?code=x']) {
      const response = await stack.app.request(path);
      expect([response.status, await response.json()]).toEqual([
        404,
        { error: 'not_found', message: `no route for GET ${path.split('?')[0]}` },
      ]);
    }
  });
});
