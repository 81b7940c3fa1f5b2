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
import { routerTraces } from '../observe/traces.js';
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

/** What one request opens: its database connection and pipeline (on first use), and what runs after the response. */
interface RequestScope {
  pipeline(): Promise<Pipeline>;
  close(): Promise<void>;
  pending: Promise<unknown>[];
}

/**
 * What an isolate builds once from its bindings and reuses for every request: the parsed
 * configuration, the app and its router, and the Hono app (its routes are compiled on first
 * match). Only the connection is per request: workerd ties a socket to the request that opened it.
 */
function isolateFor(env: WorkerEnv) {
  const config = requireKeys(loadConfig(env), ['SLACK_SIGNING_SECRET']);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const app = linkApp(logger);
  const settings = app.settings(env);
  const target = postgresTarget(env, config.DATABASE_URL);
  if (!target && !toldNoDatabase) {
    toldNoDatabase = true;
    logger.error(NO_DATABASE);
  }
  const oauth = oauthSettings(config, workerdFetch);
  // Hyperdrive pools server connections per transaction: a start-up `statement_timeout` would not
  // reach them (set it on the role). postgres.js's array-type query is skipped: no raw statement
  // uses arrays, and drizzle parses its own array columns.
  const connection = {
    max: 1,
    probe: false,
    fetchTypes: false,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: env.HYPERDRIVE ? null : config.DATABASE_STATEMENT_TIMEOUT_MS,
  };

  /** The request's scope: url_verification and refused requests never open the database. */
  function scope(): RequestScope {
    let database: Promise<DatabaseHandle> | null = null;
    let pipeline: Promise<Pipeline> | null = null;
    return {
      pipeline() {
        if (!target) {
          const body = { error: 'database_not_configured', message: NO_DATABASE };
          throw new HTTPException(503, { res: Response.json(body, { status: 503 }) });
        }
        database ??= openPostgres(target.url, target, connection);
        pipeline ??= database.then((db) =>
          createPipeline({
            app,
            settings,
            config,
            database: db,
            logger,
            slackFetch: workerdFetch,
            // Spans through @opentelemetry/api, when an SDK is registered (README "Metrics and traces").
            observer: routerTraces() ?? undefined,
          }),
        );
        return pipeline;
      },
      async close() {
        // Steps an effect's result started run after it: the connection stays open until they are done.
        if (pipeline) await (await pipeline).idle().catch(() => {});
        if (database) await (await database).close();
      },
      pending: [],
    };
  }

  const scopes = new WeakMap<Request, RequestScope>();
  const scopeOf = (request: Request) => {
    const found = scopes.get(request);
    if (!found) throw new Error('a request without its scope: it did not come through the Worker fetch');
    return found;
  };
  const http = createApp({
    services: async (c) => {
      const s = scopeOf(c.req.raw);
      return {
        pipeline: s.pipeline,
        signingSecret: config.SLACK_SIGNING_SECRET,
        oauth,
        inspector: remoteInspector(s.pipeline, config.INSPECTOR_TOKEN, VERSION),
      };
    },
    defer: (c, work) => {
      scopeOf(c.req.raw).pending.push(work());
    },
    logger,
    version: VERSION,
  });

  return {
    config,
    logger,
    hasDatabase: target !== null,
    scope,
    async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
      const s = scope();
      scopes.set(request, s);
      const response = await http.fetch(request, env, ctx);
      ctx.waitUntil(Promise.allSettled(s.pending).then(s.close));
      return response;
    },
  };
}

type Isolate = ReturnType<typeof isolateFor>;
// Keyed by the bindings object: the same for every request of an isolate; other bindings (tests) get their own.
const isolates = new WeakMap<WorkerEnv, Isolate>();

function isolate(env: WorkerEnv): Isolate {
  let found = isolates.get(env);
  if (!found) {
    found = isolateFor(env); // a configuration error throws here, for this request and the next
    isolates.set(env, found);
  }
  return found;
}

export default {
  async fetch(request, env, ctx) {
    return isolate(env).fetch(request, env, ctx);
  },

  async scheduled(_controller, env, ctx) {
    const i = isolate(env);
    if (!i.hasDatabase) return; // said once when the isolate started
    const s = i.scope();
    ctx.waitUntil(
      (async () => {
        try {
          const report = await (await s.pipeline()).drain();
          logDrain(i.logger, report);
          await refreshDueTokens((await s.pipeline()).database.db, i.config, workerdFetch); // idle workspaces too
        } finally {
          await s.close();
        }
      })(),
    );
  },
} satisfies WorkerHandlers;
