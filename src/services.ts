import type { FetchFunction } from '@slack/web-api';
import type { Config } from './config.js';
import type { HandlerContext, Logger } from './core/context.js';
import type { DatabaseHandle } from './db/database.js';
import { DeliveryRecorder } from './db/record.js';
import { applyStoreWrite, DbLookups } from './db/store.js';
import type { Pipeline } from './dispatch.js';
import { type EffectRunner, Executor, type ExecutorOptions } from './executor.js';
import { createAppRouter } from './handlers/index.js';
import { SlackClients } from './slack/client.js';
import { slackRunner } from './slack/execute.js';
import { botTokens, tokenRefresh } from './slack/tokens.js';

export interface ServiceOptions {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** WebClient's fetch: keep-alive on Node, the workerd wrapper on Workers. */
  slackFetch?: FetchFunction;
  executor?: ExecutorOptions;
}

/** Wires the pipeline every mount shares: router, look-ups, store, Slack clients and the executor. */
export function createPipeline(options: ServiceOptions): Pipeline {
  const { config, database, logger } = options;
  const botToken = botTokens({
    db: database.db,
    encryptionKey: config.TOKEN_ENCRYPTION_KEY,
    encryptionKeyOld: config.TOKEN_ENCRYPTION_KEY_OLD,
    fallback: config.SLACK_BOT_TOKEN,
    refresh: tokenRefresh(config, options.slackFetch),
  });
  const slack = slackRunner({
    clients: new SlackClients({ slackApiUrl: config.SLACK_API_URL, fetch: options.slackFetch }),
    botToken,
  });
  const runner: EffectRunner = async (effect, target) => {
    if (effect.type !== 'store') return slack(effect, target);
    await applyStoreWrite(database.db, effect);
    if (effect.op === 'delete_installation') botToken.clear(); // its tokens are gone
  };
  const ctx: HandlerContext = {
    lookups: new DbLookups(database),
    config: { appUrl: config.APP_URL },
    now: () => new Date(),
  };
  return {
    router: createAppRouter(logger),
    ctx,
    database,
    recorder: new DeliveryRecorder(database.raw, { lease: true }),
    executor: new Executor(database.db, runner, { logger, ...options.executor }),
    logger,
  };
}
