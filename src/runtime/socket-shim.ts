import type { Config } from '../config/settings.js';
import { needsBotToken, requireKeys } from '../config/settings.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, Logger } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import type { DatabaseHandle, StoreHandle } from '../db/database.js';
import { hasInstallations } from '../db/installations.js';
import { type OwnerLock, takeOwnerLock } from '../db/locks.js';
import { type InspectorAccess, withInspector } from '../inspector/index.js';
import { routerMetrics } from '../observe/metrics.js';
import { socketMetrics } from '../observe/socket-metrics.js';
import { routerTraces } from '../observe/traces.js';
import { createPipeline } from '../pipeline/build.js';
import { startDrainLoop } from '../pipeline/executor/drain-loop.js';
import { DRAIN_CONCURRENCY } from '../pipeline/executor/executor.js';
import { observers } from '../pipeline/observer.js';
import { keepAliveFetch } from '../slack/keep-alive-fetch.js';
import type { SocketModeFatalError } from '../socket/connection.js';
import { socketMount } from '../socket/mount.js';
import { describeConnections, type PoolStatus, SocketPool } from '../socket/pool.js';
import { startInspectorServer } from './inspector-server.js';
import { BUILT } from './node-build.js';
import { nodePeer } from './node-peer.js';
import { socketHealth, socketSlots } from './socket-slots.js';
import { VERSION } from './version.js';

export interface RunningShim {
  /** The delivery inspector's loopback URL (INSPECTOR_PORT), or null when that port was taken. */
  inspectorUrl: string | null;
  /** Who may open it, for the start-up log (`describeAccess`). */
  inspectorAccess: InspectorAccess;
  /** This process's Socket Mode connections and the group's (/healthz, the log). */
  connections(): PoolStatus;
  /** Stops taking envelopes, finishes what is running (acks and effects), disconnects. */
  stop(): Promise<void>;
}

/** The Socket Mode shim on Node: the pipeline, the socket mount on a Socket Mode link, and a drain loop. */
export async function startSocketShim<T extends AppTypes>(options: {
  app: SlackApp<T, StoreHandle>;
  config: Config;
  settings: T['settings'];
  database: DatabaseHandle;
  logger: Logger;
  onFatal: (error: SocketModeFatalError) => void;
  /** This process's owner lock (its leases end with it); taken here when unset. */
  ownerLock?: OwnerLock | null;
  /** Runs from dist/: the inspector is hidden without a token unless INSPECTOR_DEV=true. Default: `BUILT`. */
  built?: boolean;
}): Promise<RunningShim> {
  const config = requireKeys(options.config, ['SLACK_APP_TOKEN']);
  const { database, logger } = options;
  if (needsBotToken(config) && !(await hasInstallations(database.db))) {
    throw new ConfigError(
      'SLACK_BOT_TOKEN',
      'SLACK_BOT_TOKEN is required (no installation is stored either): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
    );
  }
  const fetch = keepAliveFetch({ maxSockets: DRAIN_CONCURRENCY });
  const ownerLock =
    options.ownerLock === undefined
      ? await takeOwnerLock(database.driver, config.DATABASE_URL)
      : options.ownerLock;
  let pool: SocketPool | null = null;
  const metrics = routerMetrics(database.db);
  const socket = socketMetrics(metrics.registry, () => pool?.status().here ?? 0);
  const { pipeline, inspector } = withInspector(
    createPipeline({
      ...options,
      config,
      owner: ownerLock?.owner,
      slackFetch: fetch,
      observer: observers(metrics.observer, routerTraces()),
    }),
    {
      ...options,
      config,
      mode: 'Socket Mode',
      version: VERSION,
      built: options.built ?? BUILT,
      peer: nodePeer,
      connection: () => {
        const status = pool?.status();
        if (!status) return { state: 'starting', lastRefresh: null };
        return { ...status, connections: describeConnections(status) };
      },
    },
  );
  const mount = socketMount(pipeline, logger);
  pool = new SocketPool({
    appToken: config.SLACK_APP_TOKEN,
    slackApiUrl: config.SLACK_API_URL,
    fetch,
    logger,
    onFatal: options.onFatal,
    onEnvelope: mount.onEnvelope,
    onOpened: socket.opened,
    ...socketSlots(database, ownerLock),
  });
  await pool.start();
  const drain = startDrainLoop(pipeline, logger);
  const inspectorServer = await startInspectorServer(inspector, {
    port: config.INSPECTOR_PORT,
    logger,
    health: () => socketHealth(database, pool),
    metrics,
  });
  return {
    inspectorUrl: inspectorServer?.url ?? null,
    inspectorAccess: inspector.access,
    connections: () => pool.status(),
    async stop() {
      await inspectorServer?.close();
      drain.stop();
      // The connections go first, each once its acks in flight are sent: Slack sends the rest to
      // the other processes at once instead of waiting for this one's effects to finish.
      await pool.stop();
      await mount.stop();
      await pipeline.idle();
      await ownerLock?.release();
    },
  };
}
