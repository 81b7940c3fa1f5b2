import { signSlackRequest } from '../../src/http/verify-signature.js';

export const SIGNING_SECRET = 'test-signing-secret-not-real';

/** Signed headers for `body`, as Slack sends them; override anything to get it wrong. */
export async function slackHeaders(
  body: string,
  contentType: string,
  overrides: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {},
): Promise<Record<string, string>> {
  const timestamp = overrides.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': await signSlackRequest(overrides.secret ?? SIGNING_SECRET, timestamp, body),
    ...overrides.headers,
  };
}
