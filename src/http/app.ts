import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../core/context.js';
import { normalizeHttp } from '../core/normalize.js';
import { type Inspector, inspectorRoutes } from '../inspector/index.js';
import { type RefusalLog, refusalLog } from '../log/refusals.js';
import { type OAuthSettings, oauthRoutes } from '../oauth/routes.js';
import type { Pipeline } from '../pipeline/build.js';
import { type SlackSignatureVariables, slackSignature } from './slack-signature.js';
import type { HmacSha256 } from './verify-signature.js';

/** Slack's payloads are small; anything larger is not from Slack. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the app needs for a request. */
export interface HttpServices {
  signingSecret: string;
  /** The delivery pipeline; opened only for a verified delivery (url_verification needs no database). */
  pipeline(): Promise<Pipeline>;
  /** The OAuth install flow's settings; unset: `/slack/install` answers 404. */
  oauth?: OAuthSettings;
  /** The delivery inspector; unset: `/_inspect` answers 404. */
  inspector?: Inspector;
}

/** The app's Hono environment: bindings are the runtime's (Worker bindings, or none). */
export type AppEnv = {
  Bindings: Record<string, unknown>;
  Variables: SlackSignatureVariables & { services: HttpServices };
};

/** How a runtime hosts the app: where its services come from, and how work outlives the response. */
export interface HttpRuntime {
  /** Node: built once at start-up. Workers: from the bindings, per request. */
  services(c: Context<AppEnv>): Promise<HttpServices>;
  /**
   * Runs a delivery's effects after the ack: waitUntil, in process, or within Lambda's budget (awaited
   * before responding; effects not started by `deadline` stay in the outbox for a drain).
   */
  defer(c: Context<AppEnv>, run: (options?: { deadline?: number }) => Promise<unknown>): Promise<void> | void;
  /** A synchronous HMAC-SHA256 for the signature check (Node's, much cheaper there); Web Crypto when absent. */
  hmac?: HmacSha256;
  logger: Logger;
  /** Where refused requests (401, 400, 413, 415) are logged; default: `refusalLog(logger)`. */
  refusals?: RefusalLog;
  version: string;
}

const error = (c: Context, status: 400 | 404 | 405 | 415 | 500 | 503, code: string, message: string) =>
  c.json({ error: code, message }, status);

/** The Hono app: `POST /slack/events` for every delivery kind, and `GET /healthz`. */
export function createApp(runtime: HttpRuntime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { logger } = runtime;
  const refused = runtime.refusals ?? refusalLog(logger); // once at warn; repeats counted per minute

  app.post(
    '/slack/events',
    async function services(c, next) {
      c.set('services', await runtime.services(c));
      await next();
    },
    slackSignature<AppEnv>({
      signingSecret: (c) => c.var.services.signingSecret,
      maxBodyBytes: MAX_BODY_BYTES,
      hmac: runtime.hmac,
      refused,
    }),
    async function slackEvents(c) {
      const started = performance.now();
      const retryNum = Number.parseInt(c.req.header('x-slack-retry-num') ?? '0', 10);
      const inbound = normalizeHttp({
        body: c.var.slackBody,
        contentType: c.req.header('content-type'),
        retryNum: Number.isFinite(retryNum) && retryNum > 0 ? retryNum : 0,
        retryReason: c.req.header('x-slack-retry-reason'),
      });
      if (!inbound.ok) {
        const status = inbound.error.code === 'unsupported_media_type' ? 415 : 400;
        const { code, message } = inbound.error;
        refused({ status, code, reason: message, path: c.req.path, userAgent: c.req.header('user-agent') });
        return error(c, status, inbound.error.code, inbound.error.message);
      }
      if (inbound.value.type === 'url_verification') return c.json({ challenge: inbound.value.challenge });
      if (inbound.value.type === 'ssl_check') return c.body(null, 200);
      const pipeline = await c.var.services.pipeline();
      const taken = await pipeline.take(inbound.value.event, { receivedAt: started });
      if (taken.status === 'unavailable') {
        c.header('retry-after', '1');
        return error(c, 503, 'store_unavailable', 'the delivery could not be recorded; Slack will retry it');
      }
      if (taken.status === 'rejected') return error(c, 400, 'invalid_payload', taken.error);
      const response = taken.body ? c.json(taken.body) : c.body(null, 200);
      if (taken.recorded === 'new') await runtime.defer(c, taken.after);
      return response;
    },
  );
  app.all('/slack/events', (c) => {
    c.header('allow', 'POST');
    return error(c, 405, 'method_not_allowed', 'Slack delivers with POST');
  });

  // Ready means deliveries can be recorded; a load balancer or HEALTHCHECK sees 503 until then.
  app.get('/healthz', async (c) => {
    let reason: string | null = null;
    try {
      const pipeline = await (await runtime.services(c)).pipeline();
      await pipeline.database.raw('select 1', []);
    } catch (error) {
      reason = `the database does not answer: ${error instanceof Error ? error.message : String(error)}`;
    }
    const body = { status: reason ? 'unavailable' : 'ok', ready: !reason, version: runtime.version };
    if (!reason) return c.json({ ...body, database: 'ok' });
    return c.json({ ...body, database: 'unreachable', reason }, 503);
  });

  app.route('/slack', oauthRoutes(runtime)); // GET /slack/install, GET /slack/oauth_redirect
  const inspector = inspectorRoutes<AppEnv>(async (c) => (await runtime.services(c)).inspector);
  app.route('/_inspect', inspector); // the delivery inspector: 404 where the runtime gives none

  app.notFound((c) => error(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    logger.error('request failed', { path: c.req.path, error: err.message });
    return error(c, 500, 'internal_error', 'the request could not be handled');
  });
  return app;
}
