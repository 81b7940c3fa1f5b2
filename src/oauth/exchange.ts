import { type FetchFunction, LogLevel, WebClient } from '@slack/web-api';
import * as z from 'zod';
import type { NewInstallation } from '../db/installations.js';

const Named = z.looseObject({ id: z.string().min(1), name: z.string().optional() }).nullish();

/** What `oauth.v2.access` answers for a code. https://docs.slack.dev/reference/methods/oauth.v2.access */
const AccessSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.literal('bot'),
  scope: z.string().default(''),
  bot_user_id: z.string().optional(),
  app_id: z.string().optional(),
  team: Named,
  enterprise: Named,
  is_enterprise_install: z.boolean().default(false),
  authed_user: z.looseObject({ id: z.string() }).optional(),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().int().positive().optional(),
});

const AuthTestSchema = z.looseObject({ bot_id: z.string().optional() });

/** A WebClient without a token, for the OAuth calls. */
export function oauthClient(slackApiUrl: string, fetch?: FetchFunction): WebClient {
  // A code works once: no retries that would spend it twice.
  return new WebClient(undefined, {
    slackApiUrl,
    fetch,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 0 },
  });
}

/**
 * Exchanges an install's code for the bot token (`oauth.v2.access`), then asks `auth.test` for the
 * bot id (the exchange does not return it). Throws WebClient's errors; the caller words them.
 */
export async function exchangeCode(
  client: WebClient,
  credentials: { clientId: string; clientSecret: string; code: string; redirectUri?: string },
  now: number,
): Promise<NewInstallation> {
  const access = AccessSchema.parse(
    await client.oauth.v2.access({
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      code: credentials.code,
      ...(credentials.redirectUri ? { redirect_uri: credentials.redirectUri } : {}),
    }),
  );
  // The bot id is a nicety: an install whose auth.test fails is still stored.
  const identity = await client.auth.test({ token: access.access_token }).then(
    (reply) => AuthTestSchema.safeParse(reply),
    () => null,
  );
  return {
    teamId: access.is_enterprise_install ? null : (access.team?.id ?? null),
    teamName: access.is_enterprise_install ? null : (access.team?.name ?? null),
    enterpriseId: access.enterprise?.id ?? null,
    enterpriseName: access.enterprise?.name ?? null,
    isEnterpriseInstall: access.is_enterprise_install,
    appId: access.app_id ?? null,
    botUserId: access.bot_user_id ?? null,
    botId: identity?.success ? (identity.data.bot_id ?? null) : null,
    botScopes: access.scope.split(',').filter(Boolean),
    botToken: access.access_token,
    // Token rotation on: the token expires (12 h) and comes with a refresh token.
    botRefreshToken: access.refresh_token ?? null,
    botTokenExpiresAt: access.expires_in ? new Date(now + access.expires_in * 1000) : null,
    installerUserId: access.authed_user?.id ?? null,
  };
}
