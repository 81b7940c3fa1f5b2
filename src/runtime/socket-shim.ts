import type { Config } from '../config/settings.js';
import { requireKeys } from '../config/settings.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, Logger } from '../core/context.js';
import { ConfigError } from '../core/errors.js';
import type { DatabaseHandle, StoreHandle } from '../db/database.js';
import { hasInstallations } from '../db/installations.js';
import { createPipeline } from '../pipeline/build.js';
import { startDrainLoop } from '../pipeline/executor/drain-loop.js';
import { keepAliveFetch } from '../slack/keep-alive-fetch.js';
import { SocketLink, type SocketModeFatalError } from '../socket/connection.js';
import { socketMount } from '../socket/mount.js';

export interface RunningShim {
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
}): Promise<RunningShim> {
  const config = requireKeys(options.config, ['SLACK_APP_TOKEN']);
  const { database, logger } = options;
  if (!config.SLACK_BOT_TOKEN && !(await hasInstallations(database.db))) {
    throw new ConfigError(
      'SLACK_BOT_TOKEN',
      'SLACK_BOT_TOKEN is required (no installation is stored either): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
    );
  }
  const fetch = keepAliveFetch();
  const pipeline = createPipeline({ ...options, config, slackFetch: fetch });
  const mount = socketMount(pipeline, logger);
  const link = new SocketLink({
    appToken: config.SLACK_APP_TOKEN,
    slackApiUrl: config.SLACK_API_URL,
    fetch,
    logger,
    onFatal: options.onFatal,
    onEnvelope: mount.onEnvelope,
  });
  await link.start();
  const drain = startDrainLoop(pipeline, logger);
  return {
    async stop() {
      drain.stop();
      await mount.stop();
      await pipeline.idle();
      await link.stop();
    },
  };
}
