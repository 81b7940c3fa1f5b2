import type { FetchFunction } from '@slack/web-api';
import type { Config } from '../config/settings.js';
import type { TokenKeys } from '../db/token-crypto.js';
import { deriveStateSecret } from './state.js';

/** What the install flow needs, read from the configuration once. */
export interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  /** `SLACK_STATE_SECRET`; unset: derived from the client secret. */
  stateSecret?: string;
  redirectUri?: string;
  installWithoutState: boolean;
  /** `SLACK_API_URL`: the Web API, and (its origin) the authorize page. */
  slackApiUrl: string;
  keys: TokenKeys;
  /** WebClient's fetch (the workerd wrapper on Workers). */
  fetch?: FetchFunction;
}

/** The install flow's settings, or undefined when `SLACK_CLIENT_ID` is unset (the routes then answer 404). */
export function oauthSettings(config: Config, fetch?: FetchFunction): OAuthSettings | undefined {
  const { SLACK_CLIENT_ID: clientId, SLACK_CLIENT_SECRET: clientSecret, TOKEN_ENCRYPTION_KEY: key } = config;
  if (!clientId) return undefined;
  if (!clientSecret || !key) {
    // loadConfig already refuses a client id without TOKEN_ENCRYPTION_KEY; the secret is checked here.
    throw new Error(
      `${clientSecret ? 'TOKEN_ENCRYPTION_KEY' : 'SLACK_CLIENT_SECRET'} is required when SLACK_CLIENT_ID is set`,
    );
  }
  return {
    clientId,
    clientSecret,
    stateSecret: config.SLACK_STATE_SECRET,
    redirectUri: config.SLACK_REDIRECT_URI,
    installWithoutState: config.SLACK_INSTALL_WITHOUT_STATE ?? false,
    slackApiUrl: config.SLACK_API_URL,
    keys: { current: key, old: config.TOKEN_ENCRYPTION_KEY_OLD },
    fetch,
  };
}

const derived = new Map<string, Promise<string>>();

/** The secret states are signed with. */
export function stateSecret(oauth: OAuthSettings): Promise<string> {
  if (oauth.stateSecret) return Promise.resolve(oauth.stateSecret);
  let secret = derived.get(oauth.clientSecret);
  if (!secret) {
    secret = deriveStateSecret(oauth.clientSecret);
    derived.set(oauth.clientSecret, secret);
  }
  return secret;
}
