import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, needsBotToken, requireKeys } from '../config/settings.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, Logger } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import type { DatabaseHandle, StoreHandle } from '../db/database.js';
import { hasInstallations } from '../db/installations.js';
import { type OwnerLock, takeOwnerLock } from '../db/locks.js';
import { createApp } from '../http/app.js';
import { type InspectorAccess, withInspector } from '../inspector/index.js';
import { type RefusalLog, refusalLog } from '../log/refusals.js';
import { oauthSettings } from '../oauth/routes.js';
import { routerMetrics } from '../observe/metrics.js';
import { routerTraces } from '../observe/traces.js';
import { createPipeline } from '../pipeline/build.js';
import { startDrainLoop } from '../pipeline/executor/drain-loop.js';
import { DRAIN_CONCURRENCY } from '../pipeline/executor/executor.js';
import { observers } from '../pipeline/observer.js';
import { keepAliveFetch } from '../slack/keep-alive-fetch.js';
import { describeListenError } from './listen-errors.js';
import { BUILT } from './node-build.js';
import { nodeHmac } from './node-hmac.js';
import { nodeListener } from './node-listener.js';
import { nodePeer } from './node-peer.js';
import { VERSION } from './version.js';

export interface RunningServer {
  /** The address and port it listens on. */
  host: string;
  port: number;
  /** Who may open `/_inspect` here, for the start-up log (`describeAccess`). */
  inspectorAccess: InspectorAccess;
  /** Stops taking requests, finishes running effects, closes the database. */
  close(): Promise<void>;
}

/** The HTTP mount on Node: effects run in this process right after each response. */
export async function startHttpServer<T extends AppTypes>(options: {
  app: SlackApp<T, StoreHandle>;
  settings: T['settings'];
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Use Node's global fetch for WebClient instead of keep-alive node:http (for the benchmark's comparison). */
  globalFetch?: boolean;
  /** This process's owner lock (its leases end with it); taken here when unset. */
  ownerLock?: OwnerLock | null;
  /** Runs from dist/: the inspector is hidden without a token unless INSPECTOR_DEV=true. Default: `BUILT`. */
  built?: boolean;
  /** Prometheus metrics at `/metrics` (default true; the benchmark compares without). */
  metrics?: boolean;
}): Promise<RunningServer> {
  const config = requireKeys(options.config, ['SLACK_SIGNING_SECRET']);
  const { database, logger } = options;
  // Without a token nor an install flow, every effect would fail: refuse, as the socket shim does.
  // needsBotToken: false with SLACK_BOT_TOKEN set, and in dry run (SLACK_DRY_RUN=true), where no call reaches Slack.
  if (needsBotToken(config) && !config.SLACK_CLIENT_ID && !(await hasInstallations(database.db))) {
    throw new ConfigError(
      'SLACK_BOT_TOKEN',
      'SLACK_BOT_TOKEN is required (no installation is stored, and SLACK_CLIENT_ID is unset so none can be made): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
    );
  }
  const ownerLock =
    options.ownerLock === undefined
      ? await takeOwnerLock(database.driver, config.DATABASE_URL)
      : options.ownerLock;
  const metrics = options.metrics === false ? null : routerMetrics(database.db);
  const { pipeline, inspector } = withInspector(
    createPipeline({
      ...options,
      observer: observers(metrics?.observer, routerTraces()),
      config,
      owner: ownerLock?.owner,
      slackFetch: options.globalFetch ? undefined : keepAliveFetch({ maxSockets: DRAIN_CONCURRENCY }),
    }),
    { ...options, config, mode: 'HTTP', version: VERSION, built: options.built ?? BUILT, peer: nodePeer },
  );
  const oauth = oauthSettings(config, options.globalFetch ? undefined : keepAliveFetch());
  const services = {
    pipeline: async () => pipeline,
    openPipeline: pipeline,
    signingSecret: config.SLACK_SIGNING_SECRET,
    oauth,
    inspector,
    metrics: metrics ?? undefined,
  };
  const logRefusal = refusalLog(logger);
  const refused: RefusalLog = metrics
    ? (refusal) => {
        metrics.refused(refusal.code);
        logRefusal(refusal);
      }
    : logRefusal;
  const app = createApp({
    services: async () => services,
    defer: (_c, work) => {
      void work();
    },
    hmac: nodeHmac,
    logger,
    refusals: refused,
    version: VERSION,
  });
  const server = http.createServer(
    nodeListener({
      fetch: app.fetch,
      services,
      delivery: { refused, hmac: nodeHmac },
      logger,
      hostname: config.HOST,
    }),
  );
  server.listen(config.PORT, config.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error) =>
      reject(describeListenError(error, { host: config.HOST, port: config.PORT })),
    );
  });
  const drain = startDrainLoop(pipeline, logger);
  const { address: host, port } = server.address() as AddressInfo;
  return {
    host,
    port,
    inspectorAccess: inspector.access,
    async close() {
      drain.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pipeline.idle();
      await database.close();
      await ownerLock?.release();
    },
  };
}
