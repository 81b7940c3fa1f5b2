import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../core/context.js';
import { type Inspector, inspectorRoutes, refusal } from '../inspector/index.js';
import { type RefusalLog, refusalLog } from '../log/refusals.js';
import { type OAuthSettings, oauthRoutes } from '../oauth/routes.js';
import {
  answerDelivery,
  answerUnread,
  type DeliveryServices,
  EVENTS_PATH,
  MAX_BODY_BYTES,
} from './delivery.js';
import { readBody } from './read-body.js';
import type { HmacSha256 } from './verify-signature.js';

/** What the app needs for a request. */
export interface HttpServices extends DeliveryServices {
  /** The OAuth install flow's settings; unset: `/slack/install` answers 404. */
  oauth?: OAuthSettings;
  /** The delivery inspector; unset: `/_inspect` answers 404. */
  inspector?: Inspector;
  /** Prometheus metrics (src/observe/metrics.ts, Node); unset: `/metrics` answers 404. Same access as the inspector. */
  metrics?: { scrape(): Promise<string>; contentType: string };
}

/** The app's Hono environment: bindings are the runtime's (Worker bindings, or none). */
export type AppEnv = {
  Bindings: Record<string, unknown>;
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

  const deliveryOptions = { refused, hmac: runtime.hmac };

  app.post(EVENTS_PATH, async function slackEvents(c) {
    const receivedAt = performance.now();
    const header = (name: string) => c.req.header(name);
    const { path } = c.req;
    const services = await runtime.services(c);
    const read = await readBody(c, MAX_BODY_BYTES);
    const answer = read.ok
      ? await answerDelivery(services, { body: read.body, header, path, receivedAt }, deliveryOptions)
      : answerUnread(read, { header, path }, refused);
    const response = answer.json
      ? c.json(answer.json, answer.status, answer.headers)
      : c.body(null, answer.status, answer.headers);
    if (answer.after) await runtime.defer(c, answer.after);
    return response;
  });
  app.all(EVENTS_PATH, (c) => {
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

  // Prometheus scrapes with the inspector's token (bearer or basic auth); without one, as the inspector.
  app.get('/metrics', async function metrics(c) {
    const { inspector, metrics } = await runtime.services(c);
    if (!inspector || !metrics) return error(c, 404, 'not_found', 'no metrics in this process');
    const refused = await refusal(c, inspector);
    if (refused) return refused;
    return c.body(await metrics.scrape(), 200, { 'content-type': metrics.contentType });
  });

  app.notFound((c) => error(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    logger.error('request failed', { path: c.req.path, error: err.message });
    return error(c, 500, 'internal_error', 'the request could not be handled');
  });
  return app;
}
