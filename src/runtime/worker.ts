/** Cloudflare Workers entry: effects run through `waitUntil`, and a Cron Trigger drains leftovers. */
import type { ExecutionContext } from 'hono';
import { linkApp } from '../app/index.js';
import { loadConfig, requireKeys } from '../config/settings.js';
import { type DatabaseHandle, parseDatabaseUrl } from '../db/database.js';
import { openPostgres } from '../db/postgres.js';
import { createApp } from '../http/app.js';
import { createLogger } from '../log/logger.js';
import { oauthSettings } from '../oauth/routes.js';
import { createPipeline, type Pipeline } from '../pipeline/build.js';
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

/** postgres.js connections belong to one request on workerd: open one per request, close it after. */
async function openFor(env: WorkerEnv, databaseUrl: string | undefined): Promise<DatabaseHandle> {
  const url = env.HYPERDRIVE?.connectionString ?? databaseUrl;
  const target = parseDatabaseUrl(url);
  if (target.driver !== 'postgres') {
    throw new Error('on Workers, set DATABASE_URL to a postgres:// URL or bind Hyperdrive as HYPERDRIVE');
  }
  return openPostgres(target.url, target, { max: 1, probe: false });
}

function scope(env: WorkerEnv) {
  const config = requireKeys(loadConfig(env), ['SLACK_SIGNING_SECRET']);
  const logger = createLogger(config.LOG_LEVEL);
  const app = linkApp(logger);
  const settings = app.settings(env);
  // Opened on first use (url_verification and refused requests need no database), once per request.
  let database: Promise<DatabaseHandle> | null = null;
  let pipeline: Promise<Pipeline> | null = null;
  const open = () => {
    database ??= openFor(env, config.DATABASE_URL);
    pipeline ??= database.then((db) =>
      createPipeline({ app, settings, config, database: db, logger, slackFetch: workerdFetch }),
    );
    return pipeline;
  };
  const close = async () => {
    if (database) await (await database).close();
  };
  return { config, logger, pipeline: open, close };
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
    ctx.waitUntil(
      (async () => {
        try {
          const report = await (await s.pipeline()).drain();
          s.logger.info('drain', { ...report });
          await refreshDueTokens((await s.pipeline()).database.db, s.config, workerdFetch); // idle workspaces too
        } finally {
          await s.close();
        }
      })(),
    );
  },
} satisfies WorkerHandlers;
