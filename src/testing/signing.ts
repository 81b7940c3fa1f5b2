import { signSlackRequest } from '../http/verify-signature.js';

/** The signing secret the kit signs with unless told otherwise; not a real one. */
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

/** A signed `Request` to `url` carrying `body`, as Slack would send it. */
export async function signedRequest(
  url: string,
  wrapped: { body: string; contentType: string },
  overrides: Parameters<typeof slackHeaders>[2] = {},
): Promise<Request> {
  const headers = await slackHeaders(wrapped.body, wrapped.contentType, overrides);
  return new Request(url, { method: 'POST', body: wrapped.body, headers });
}
