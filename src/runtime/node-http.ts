import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Config, requireKeys } from '../config/settings.js';
import type { SlackApp } from '../core/app.js';
import type { AppTypes, Logger } from '../core/context.js';
import type { DatabaseHandle, StoreHandle } from '../db/database.js';
import { createApp } from '../http/app.js';
import { oauthSettings } from '../oauth/routes.js';
import { createPipeline } from '../pipeline/build.js';
import { startDrainLoop } from '../pipeline/executor/drain-loop.js';
import { keepAliveFetch } from '../slack/keep-alive-fetch.js';
import { nodeHmac } from './node-hmac.js';
import { VERSION } from './version.js';

export interface RunningServer {
  /** The address and port it listens on. */
  host: string;
  port: number;
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
}): Promise<RunningServer> {
  const config = requireKeys(options.config, ['SLACK_SIGNING_SECRET']);
  const { database, logger } = options;
  const pipeline = createPipeline({
    ...options,
    config,
    slackFetch: options.globalFetch ? undefined : keepAliveFetch(),
  });
  const oauth = oauthSettings(config, options.globalFetch ? undefined : keepAliveFetch());
  const services = { pipeline: async () => pipeline, signingSecret: config.SLACK_SIGNING_SECRET, oauth };
  const app = createApp({
    services: async () => services,
    defer: (_c, work) => {
      void work();
    },
    hmac: nodeHmac,
    logger,
    version: VERSION,
  });
  const drain = startDrainLoop(pipeline, logger);
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { address: host, port } = server.address() as AddressInfo;
  return {
    host,
    port,
    async close() {
      drain.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pipeline.idle();
      await database.close();
    },
  };
}
