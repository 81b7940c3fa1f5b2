import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { SignatureError, verifySlackRequest } from './verify-signature.js';

/** Variables the middleware sets for the route. */
export interface SlackSignatureVariables {
  /** The raw body, read once and verified. */
  slackBody: string;
}

/**
 * Verifies `X-Slack-Signature` over the raw body and keeps the body for the route. A request that
 * fails is answered 401 with the reason.
 */
export function slackSignature<E extends { Variables: SlackSignatureVariables }>(options: {
  signingSecret: (c: Parameters<MiddlewareHandler<E>>[0]) => string | Promise<string>;
}): MiddlewareHandler<E> {
  return async function slackSignatureMiddleware(c, next) {
    const body = await c.req.text();
    try {
      await verifySlackRequest({
        signingSecret: await options.signingSecret(c),
        body,
        signature: c.req.header('x-slack-signature'),
        timestamp: c.req.header('x-slack-request-timestamp'),
      });
    } catch (error) {
      if (error instanceof SignatureError) {
        throw new HTTPException(401, {
          res: Response.json({ error: error.code, message: error.message }, { status: 401 }),
        });
      }
      throw error;
    }
    c.set('slackBody', body);
    await next();
  };
}
