/** Cloudflare Workers entry: effects run through `waitUntil`, and a Cron Trigger drains leftovers. */
import type { ExecutionContext } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { linkApp } from '../app/index.js';
import { loadConfig, requireKeys } from '../config/settings.js';
import { type DatabaseHandle, parseDatabaseUrl } from '../db/database.js';
import { openPostgres } from '../db/postgres.js';
import { createApp } from '../http/app.js';
import { remoteInspector } from '../inspector/index.js';
import { createLogger } from '../log/logger.js';
import { oauthSettings } from '../oauth/routes.js';
import { createPipeline, type Pipeline } from '../pipeline/build.js';
import { logDrain } from '../pipeline/delivery-log.js';
import { workerdFetch } from '../slack/client.js';
import { refreshDueTokens } from '../slack/tokens.js';
import { VERSION } from './version.js';

/** Worker bindings: the settings of .env.example as vars and secrets, and an optional Hyperdrive. */
export interface WorkerEnv {
  HYPERDRIVE?: { connectionString: string };
  [name: string]: unknown;
}

/**
 * The module Worker's handlers, typed with the DOM Request/Response the rest of the code uses
 * (workers-types' own Request type does not mix with them); same shape as `ExportedHandler<WorkerEnv>`.
 */
interface WorkerHandlers {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response>;
  scheduled(controller: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void>;
}

/** Why a Worker without PostgreSQL answers 503: said once per isolate (so once in `wrangler dev`), not per request. Not exported: a Worker module exports handlers only. */
const NO_DATABASE =
  'no PostgreSQL: on Workers, set DATABASE_URL to a postgres:// URL (in .env for npm run dev:worker, a secret in production) or bind Hyperdrive as HYPERDRIVE';
let toldNoDatabase = false;

/** The PostgreSQL to use, or null when there is none (PGlite does not run on Workers). */
function postgresTarget(env: WorkerEnv, databaseUrl: string | undefined) {
  const url = env.HYPERDRIVE?.connectionString ?? databaseUrl;
  if (!url || !/^postgres(ql)?:\/\//i.test(url)) return null;
  const target = parseDatabaseUrl(url); // a malformed postgres:// URL throws its own one-line ConfigError
  return target.driver === 'postgres' ? target : null;
}

function scope(env: WorkerEnv) {
  const config = requireKeys(loadConfig(env), ['SLACK_SIGNING_SECRET']);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const app = linkApp(logger);
  const settings = app.settings(env);
  const target = postgresTarget(env, config.DATABASE_URL);
  if (!target && !toldNoDatabase) {
    toldNoDatabase = true;
    logger.error(NO_DATABASE);
  }
  // Opened on first use (url_verification and refused requests need no database), once per request.
  // postgres.js connections belong to one request on workerd: one per request, closed after it.
  let database: Promise<DatabaseHandle> | null = null;
  let pipeline: Promise<Pipeline> | null = null;
  const open = () => {
    if (!target) {
      const body = { error: 'database_not_configured', message: NO_DATABASE };
      throw new HTTPException(503, { res: Response.json(body, { status: 503 }) });
    }
    database ??= openPostgres(target.url, target, { max: 1, probe: false });
    pipeline ??= database.then((db) =>
      createPipeline({ app, settings, config, database: db, logger, slackFetch: workerdFetch }),
    );
    return pipeline;
  };
  const close = async () => {
    if (database) await (await database).close();
  };
  return { config, logger, pipeline: open, close, hasDatabase: target !== null };
}

export default {
  async fetch(request, env, ctx) {
    const s = scope(env);
    const pending: Promise<unknown>[] = [];
    const app = createApp({
      services: async () => ({
        pipeline: s.pipeline,
        signingSecret: s.config.SLACK_SIGNING_SECRET,
        oauth: oauthSettings(s.config, workerdFetch),
        inspector: remoteInspector(s.pipeline, s.config.INSPECTOR_TOKEN, VERSION),
      }),
      defer: (_c, work) => {
        pending.push(work());
      },
      logger: s.logger,
      version: VERSION,
    });
    const response = await app.fetch(request, env, ctx);
    ctx.waitUntil(Promise.allSettled(pending).then(s.close));
    return response;
  },

  async scheduled(_controller, env, ctx) {
    const s = scope(env);
    if (!s.hasDatabase) return; // said once by scope()
    ctx.waitUntil(
      (async () => {
        try {
          const report = await (await s.pipeline()).drain();
          logDrain(s.logger, report);
          await refreshDueTokens((await s.pipeline()).database.db, s.config, workerdFetch); // idle workspaces too
        } finally {
          await s.close();
        }
      })(),
    );
  },
} satisfies WorkerHandlers;
