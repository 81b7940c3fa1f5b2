import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Config, requireKeys } from '../config.js';
import type { Logger } from '../core/context.js';
import type { DatabaseHandle } from '../db/database.js';
import { createApp } from '../http/app.js';
import { oauthSettings } from '../oauth/routes.js';
import { createPipeline } from '../services.js';
import { VERSION } from '../version.js';
import { startDrainLoop } from './drain-loop.js';
import { keepAliveFetch } from './keep-alive-fetch.js';
import { nodeHmac } from './node-hmac.js';

export interface RunningServer {
  /** The address and port it listens on. */
  host: string;
  port: number;
  /** Stops taking requests, finishes running effects, closes the database. */
  close(): Promise<void>;
}

/** The HTTP mount on Node: effects run in this process right after each response. */
export async function startHttpServer(options: {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Use Node's global fetch for WebClient instead of keep-alive node:http (for the benchmark's comparison). */
  globalFetch?: boolean;
}): Promise<RunningServer> {
  const config = requireKeys(options.config, ['SLACK_SIGNING_SECRET']);
  const { database, logger } = options;
  const pipeline = createPipeline({
    config,
    database,
    logger,
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
  const drain = startDrainLoop(pipeline.executor, logger);
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
      await pipeline.executor.idle();
      await database.close();
    },
  };
}
