/** AWS Lambda entry (API Gateway v2 or a function URL): `handler`, and `drain` for a schedule. */
import { handle } from 'hono/aws-lambda';
import { linkApp } from '../app/index.js';
import { loadConfig, requireKeys } from '../config/settings.js';
import { openDatabase } from '../db/open.js';
import { createApp } from '../http/app.js';
import { createLogger } from '../log/logger.js';
import { oauthSettings } from '../oauth/routes.js';
import { routerTraces } from '../observe/traces.js';
import { createPipeline } from '../pipeline/build.js';
import { logDrain } from '../pipeline/delivery-log.js';
import { keepAliveFetch } from '../slack/keep-alive-fetch.js';
import { refreshDueTokens } from '../slack/tokens.js';
import { nodeHmac } from './node-hmac.js';
import { VERSION } from './version.js';

/** Effects that finish within this long after the ack is ready run before the response; the rest wait for `drain`. */
export const EFFECT_BUDGET_MS = 2_000;

/** Built once per Lambda instance, on its first invocation. */
const ready = (async () => {
  const config = requireKeys(loadConfig(process.env), ['SLACK_SIGNING_SECRET', 'DATABASE_URL']);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // One invocation at a time per instance: one connection is enough. PostgreSQL is migrated by
  // `npm run db:migrate` before a deploy; an embedded database (tests) migrates itself.
  const database = await openDatabase(config.DATABASE_URL, {
    max: 1,
    migrate: !config.DATABASE_URL.startsWith('postgres'),
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  const app = linkApp(logger);
  const pipeline = createPipeline({
    // Spans through @opentelemetry/api, when an SDK is registered (README "Metrics and traces").
    observer: routerTraces() ?? undefined,
    app,
    settings: app.settings(process.env),
    config,
    database,
    logger,
    slackFetch: keepAliveFetch(),
  });
  const oauth = oauthSettings(config, keepAliveFetch());
  const http = createApp({
    services: async () => ({
      pipeline: async () => pipeline,
      signingSecret: config.SLACK_SIGNING_SECRET,
      oauth,
    }),
    // Lambda has no waitUntil: the instance freezes once the response is returned.
    defer: async (_c, run) => {
      const deadline = Date.now() + EFFECT_BUDGET_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const budget = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, EFFECT_BUDGET_MS + 250);
      });
      await Promise.race([run({ deadline }), budget]);
      clearTimeout(timer);
    },
    hmac: nodeHmac,
    logger,
    version: VERSION,
  });
  return { pipeline, logger, lambda: handle(http) };
})();
// A start-up error is reported by every invocation (it awaits `ready`), not as an unhandled rejection.
ready.catch(() => {});

/** The HTTP handler. */
export const handler: ReturnType<typeof handle> = async (event, context) =>
  (await ready).lambda(event, context);

/** Runs every pending effect; schedule it (EventBridge, every minute). */
export async function drain() {
  const { pipeline, logger } = await ready;
  await refreshDueTokens(pipeline.database.db, loadConfig(process.env), keepAliveFetch()); // idle workspaces too
  const report = await pipeline.drain();
  logDrain(logger, report); // the counts, and each effect that failed for good
  return report;
}
