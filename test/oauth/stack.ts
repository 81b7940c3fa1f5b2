import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import { oauthSettings } from '../../src/oauth/routes.js';
import { createPipeline } from '../../src/pipeline/build.js';
import type { FakeCall, FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { type Fixture, fixture, httpForm } from '../helpers/fixtures.js';

export const KEY = Buffer.alloc(32, 7).toString('base64');
export const OLD_KEY = Buffer.alloc(32, 3).toString('base64');
export const CLIENT_ID = '1111.2222';
export const CLIENT_SECRET = 'client-secret-not-real-0123456789';

/** Empties the tables these tests write, so one database serves a whole file (opening PGlite is slow). */
export async function emptyTables(database: DatabaseHandle): Promise<void> {
  await database.raw('truncate installations, oauth_states, deliveries, outbox restart identity cascade', []);
}

/** Every line any stack logged, for the search for secrets. */
export const logLines: string[] = [];
/** Every state and state cookie handed out, and every page the redirect route answered. */
export const issued: string[] = [];
export const pages: string[] = [];

/** Each secret of `secrets` found in a log line or a redirect page, with where (none expected). */
export function leaks(secrets: string[]): string[] {
  const all = [...secrets, ...issued, CLIENT_SECRET, KEY, OLD_KEY];
  return all.flatMap((secret) => [
    ...logLines.filter((line) => line.includes(secret)).map((line) => `log: ${line}`),
    ...pages.filter((page) => page.includes(secret)).map(() => `page: contains ${secret}`),
  ]);
}

/** One "process": the Hono app and its pipeline over `database`, OAuth configured, talking to `fake`. */
export async function oauthStack(
  fake: FakeSlack,
  database: DatabaseHandle,
  settings: Record<string, string> = {},
) {
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CLIENT_ID: CLIENT_ID,
    SLACK_CLIENT_SECRET: CLIENT_SECRET,
    TOKEN_ENCRYPTION_KEY: KEY,
    // About installs and tokens, with many replies in one channel: not paced to Slack's limits.
    SLACK_RATE_LIMITS: 'off',
    ...settings,
  });
  const logger = createLogger('debug', (line) => logLines.push(line));
  const slackApp = linkApp(logger);
  const pipeline = createPipeline({
    app: slackApp,
    settings: slackApp.settings({}),
    config,
    database,
    logger,
  });
  const deferred: Promise<unknown>[] = [];
  const app = createApp({
    services: async () => ({
      pipeline: async () => pipeline,
      signingSecret: SIGNING_SECRET,
      oauth: oauthSettings(config),
    }),
    defer: (_c, work) => {
      deferred.push(work());
    },
    logger,
    version: 'test',
  });
  return {
    app,
    pipeline,
    settled: async () => {
      await Promise.all(deferred);
      await pipeline.idle();
    },
    /** POSTs a fixture in its HTTP form, signed. */
    async deliver(f: Fixture) {
      const { body, contentType } = httpForm(f);
      return app.request('/slack/events', {
        method: 'POST',
        body,
        headers: await slackHeaders(body, contentType),
      });
    },
    /** A browser opening the install page: the authorize URL from its button, and the cookie it got. */
    async openInstallPage() {
      const page = await app.request('/slack/install');
      const body = await page.text();
      const href = /href="([^"]+)"/.exec(body)?.[1]?.replace(/&amp;/g, '&') ?? '';
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      issued.push(new URL(href).searchParams.get('state') ?? '', cookie.split('=')[1] ?? '');
      return { page, body, authorize: new URL(href), cookie };
    },
    /** Slack sending the browser back to the redirect route. */
    async redirect(query: Record<string, string>, cookie?: string) {
      const response = await app.request(`/slack/oauth_redirect?${new URLSearchParams(query)}`, {
        headers: cookie ? { cookie } : {},
      });
      pages.push(await response.clone().text());
      return response;
    },
  };
}
export type OAuthStack = Awaited<ReturnType<typeof oauthStack>>;

/** A whole install in one browser: install page → Slack → redirect with `code`. */
export async function install(stack: OAuthStack, code: string): Promise<Response> {
  const { authorize, cookie } = await stack.openInstallPage();
  return stack.redirect({ code, state: authorize.searchParams.get('state') ?? '' }, cookie);
}

/** What the fake's oauth.v2.access answers for each install code, and auth.test for each token. */
export function scriptSlack(fake: FakeSlack, installs: Record<string, Record<string, unknown>>) {
  const botIds = new Map<string, string>();
  for (const reply of Object.values(installs)) {
    botIds.set(String(reply.access_token), `B${String(reply.access_token).slice(-6).toUpperCase()}`);
  }
  fake.on('oauth.v2.access', (call: FakeCall) => {
    const reply = installs[String(call.args.code)];
    return { body: reply ? { ok: true, ...reply } : { ok: false, error: 'invalid_code' } };
  });
  fake.on('auth.test', (call) => ({
    body: { ok: true, bot_id: botIds.get(call.token ?? '') ?? 'B0UNKNOWN' },
  }));
}

/** oauth.v2.access's answer for a workspace install. */
export function workspaceInstall(team: string, token: string, extra: Record<string, unknown> = {}) {
  return {
    access_token: token,
    token_type: 'bot',
    scope: 'app_mentions:read,chat:write,commands,links:read,links:write',
    bot_user_id: `U${team.slice(1)}BOT`,
    app_id: 'A0APP0001',
    team: { id: team, name: `Team ${team}` },
    enterprise: null,
    is_enterprise_install: false,
    authed_user: { id: `U${team.slice(1)}ADMIN` },
    ...extra,
  };
}

let seq = 0;
/** An app_mention from `team` (in `enterprise`), unique each call. */
export function mention(team: string, enterprise: string | null = null): Fixture {
  const base = fixture('event_app_mention');
  const n = ++seq;
  const ts = `17641${String(n).padStart(5, '0')}.000100`;
  const event = { ...(base.payload.event as Record<string, unknown>), team, ts, event_ts: ts };
  return {
    ...base,
    name: `mention-${n}`,
    payload: {
      ...base.payload,
      team_id: team,
      event,
      event_id: `Ev0MENTION${team}${n}`,
      authorizations: [
        {
          enterprise_id: enterprise,
          team_id: team,
          user_id: 'U0BOT0001',
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      ...(enterprise ? { enterprise_id: enterprise } : {}),
    },
  };
}
