import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { RefusalLog } from '../log/refusals.js';
import { readBody } from './read-body.js';
import { type HmacSha256, SignatureError, verifySlackRequest } from './verify-signature.js';

/** Variables the middleware sets for the route. */
export interface SlackSignatureVariables {
  /** The raw body, read once and verified. */
  slackBody: string;
}

/**
 * Reads the raw body once (413 past `maxBodyBytes`, before any crypto; 400 when it does not arrive
 * in full in time), verifies `X-Slack-Signature` over it and keeps it for the route. A request that
 * fails the check is answered 401 with the reason, and logged through `refused` (never its body).
 */
export function slackSignature<E extends { Variables: SlackSignatureVariables }>(options: {
  signingSecret: (c: Context<E>) => string | Promise<string>;
  maxBodyBytes: number;
  /** The runtime's synchronous HMAC (Node); Web Crypto when absent. */
  hmac?: HmacSha256;
  /** Where refusals are logged (see `refusalLog`); unset: not logged. */
  refused?: RefusalLog;
}): MiddlewareHandler<E> {
  const refuse = (c: Context<E>, status: 400 | 401 | 413, code: string, message: string) => {
    options.refused?.({
      status,
      code,
      reason: message,
      path: c.req.path,
      userAgent: c.req.header('user-agent'),
    });
    const headers = status === 400 ? { connection: 'close' } : undefined;
    return new HTTPException(status, { res: Response.json({ error: code, message }, { status, headers }) });
  };
  return async function slackSignatureMiddleware(c, next) {
    const read = await readBody(c, options.maxBodyBytes);
    if (!read.ok) throw refuse(c, read.code === 'body_too_large' ? 413 : 400, read.code, read.message);
    try {
      await verifySlackRequest({
        signingSecret: await options.signingSecret(c),
        body: read.body,
        signature: c.req.header('x-slack-signature'),
        timestamp: c.req.header('x-slack-request-timestamp'),
        hmac: options.hmac,
      });
    } catch (error) {
      if (error instanceof SignatureError) throw refuse(c, 401, error.code, error.message);
      throw error;
    }
    c.set('slackBody', read.body);
    await next();
  };
}
