import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { readBody } from './read-body.js';
import { type HmacSha256, SignatureError, verifySlackRequest } from './verify-signature.js';

/** Variables the middleware sets for the route. */
export interface SlackSignatureVariables {
  /** The raw body, read once and verified. */
  slackBody: string;
}

const refuse = (status: 401 | 413, error: string, message: string) =>
  new HTTPException(status, { res: Response.json({ error, message }, { status }) });

/**
 * Reads the raw body once (413 past `maxBodyBytes`, before any crypto), verifies `X-Slack-Signature`
 * over it and keeps it for the route. A request that fails the check is answered 401 with the reason.
 */
export function slackSignature<E extends { Variables: SlackSignatureVariables }>(options: {
  signingSecret: (c: Context<E>) => string | Promise<string>;
  maxBodyBytes: number;
  /** The runtime's synchronous HMAC (Node); Web Crypto when absent. */
  hmac?: HmacSha256;
}): MiddlewareHandler<E> {
  return async function slackSignatureMiddleware(c, next) {
    const body = await readBody(c, options.maxBodyBytes);
    if (body === null) {
      throw refuse(413, 'body_too_large', `the body is larger than ${options.maxBodyBytes} bytes`);
    }
    try {
      await verifySlackRequest({
        signingSecret: await options.signingSecret(c),
        body,
        signature: c.req.header('x-slack-signature'),
        timestamp: c.req.header('x-slack-request-timestamp'),
        hmac: options.hmac,
      });
    } catch (error) {
      if (error instanceof SignatureError) throw refuse(401, error.code, error.message);
      throw error;
    }
    c.set('slackBody', body);
    await next();
  };
}
