import { WebAPIPlatformError } from '@slack/web-api';
import { type Context, type Env, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Logger } from '../core/context.js';
import type { Database } from '../db/database.js';
import { saveInstallation, useOAuthState } from '../db/installations.js';
import { exchangeCode, oauthClient } from './exchange.js';
import { deniedPage, failedPage, installedPage, installPage } from './pages.js';
import { BOT_SCOPES, USER_SCOPES } from './scopes.js';
import { type OAuthSettings, stateSecret } from './settings.js';
import { issueState, readState, STATE_TTL_MS, type StateProblem } from './state.js';

export { type OAuthSettings, oauthSettings } from './settings.js';

/** The cookie that binds a state to the browser that opened the install page. */
export const STATE_COOKIE = 'slack_oauth_state';

/** What the routes need from the runtime: per request, since Workers build services per request. */
export interface OAuthHost<E extends Env> {
  services(c: Context<E>): Promise<{
    /** Unset when `SLACK_CLIENT_ID` is not configured: the routes answer 404. */
    oauth?: OAuthSettings;
    pipeline(): Promise<{ database: { db: Database } }>;
  }>;
  logger: Logger;
  now?: () => number;
}

const REFUSED: Record<StateProblem | 'cookie_missing' | 'other_browser' | 'reused', string> = {
  missing:
    'The link from Slack carried no state, so this install cannot be trusted. Start it again from the install page.',
  forged:
    'The state in the link from Slack was not issued by this server (forged or altered). Start the install again.',
  expired: 'The install took more than 10 minutes, so its state expired. Start it again.',
  cookie_missing:
    'This browser did not send the install cookie: finish the install in the browser that started it, with cookies allowed.',
  other_browser: 'This install was started in another browser. Start it again in this one.',
  reused: 'This install link was already used. Start the install again.',
};

/** `GET /install` and `GET /oauth_redirect` (mounted under `/slack`): Slack's OAuth v2 install flow. */
export function oauthRoutes<E extends Env>(host: OAuthHost<E>): Hono<E> {
  const routes = new Hono<E>();
  const now = host.now ?? Date.now;

  routes.get('/install', async function slackInstall(c) {
    const oauth = (await host.services(c)).oauth;
    if (!oauth) return c.notFound();
    const { state, id } = await issueState(await stateSecret(oauth), now());
    const authorize = new URL('/oauth/v2/authorize', new URL(oauth.slackApiUrl).origin);
    authorize.searchParams.set('client_id', oauth.clientId);
    authorize.searchParams.set('scope', BOT_SCOPES.join(','));
    if (USER_SCOPES.length > 0) authorize.searchParams.set('user_scope', USER_SCOPES.join(','));
    if (oauth.redirectUri) authorize.searchParams.set('redirect_uri', oauth.redirectUri);
    authorize.searchParams.set('state', state);
    setCookie(c, STATE_COOKIE, id, {
      path: cookiePath(oauth),
      maxAge: STATE_TTL_MS / 1000,
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
    });
    c.header('cache-control', 'no-store');
    if (c.req.query('redirect') === '1') return c.redirect(authorize.toString(), 302);
    return c.html(installPage(authorize.toString()));
  });

  routes.get('/oauth_redirect', async function slackOAuthRedirect(c) {
    const services = await host.services(c);
    const { oauth } = services;
    if (!oauth) return c.notFound();
    c.header('cache-control', 'no-store');
    const cookie = getCookie(c, STATE_COOKIE);
    if (cookie !== undefined) deleteCookie(c, STATE_COOKIE, { path: cookiePath(oauth), secure: true });
    const refuse = (reason: keyof typeof REFUSED) => {
      host.logger.warn('install refused', { reason });
      return c.html(failedPage(REFUSED[reason]), 400);
    };

    const error = c.req.query('error');
    if (error === 'access_denied') return c.html(deniedPage());
    if (error) {
      const code = /^[a-z_]{1,64}$/.test(error) ? error : 'unknown';
      host.logger.warn('install failed at Slack', { error: code });
      return c.html(failedPage(`Slack reported an error (${code}), so the app was not installed.`), 400);
    }

    const state = c.req.query('state');
    const { db } = (await services.pipeline()).database;
    // Installs from the Slack Marketplace or an org admin page carry no state of ours.
    if (state !== undefined || !oauth.installWithoutState) {
      const read = await readState(await stateSecret(oauth), state, now());
      if (!read.ok) return refuse(read.problem);
      if (cookie === undefined) return refuse('cookie_missing');
      if (cookie !== read.id) return refuse('other_browser');
      if (!(await useOAuthState(db, read.id, new Date(read.expiresAt)))) return refuse('reused');
    }

    const code = c.req.query('code');
    if (!code) return c.html(failedPage('Slack sent no code, so the app was not installed.'), 400);
    let install: Awaited<ReturnType<typeof exchangeCode>>;
    try {
      install = await exchangeCode(
        oauthClient(oauth.slackApiUrl, oauth.fetch),
        { clientId: oauth.clientId, clientSecret: oauth.clientSecret, code, redirectUri: oauth.redirectUri },
        now(),
      );
    } catch (cause) {
      const slackError = cause instanceof WebAPIPlatformError ? cause.data.error : 'unreachable';
      host.logger.warn('install failed: oauth.v2.access', { error: slackError });
      return c.html(failedPage(`Slack did not complete the install (${slackError}). Start it again.`), 400);
    }
    const saved = await saveInstallation(db, oauth.keys, install);
    const where = install.isEnterpriseInstall
      ? { id: install.enterpriseId, name: install.enterpriseName }
      : { id: install.teamId, name: install.teamName };
    host.logger.info(saved.created ? 'installed' : 'reinstalled', {
      team: install.teamId ?? undefined,
      enterprise: install.enterpriseId ?? undefined,
      installation: saved.id,
    });
    return c.html(
      installedPage({
        name: where.name ?? where.id ?? 'your workspace',
        openUrl: `slack://open?team=${encodeURIComponent(where.id ?? '')}`,
      }),
    );
  });

  return routes;
}

/** Behind a proxy the public path can differ: the cookie follows `SLACK_REDIRECT_URI`'s folder, else the whole site. */
function cookiePath(oauth: OAuthSettings): string {
  if (!oauth.redirectUri) return '/';
  const path = new URL(oauth.redirectUri).pathname;
  return path.slice(0, path.lastIndexOf('/') + 1) || '/';
}
