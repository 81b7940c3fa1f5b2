/** `npm run dev:socket`: Socket Mode on a laptop. No public URL, no tunnel, no database server. */
import { linkApp } from '../app/index.js';
import { requireKeys } from '../config/settings.js';
import { holdSingleInstanceLock } from '../db/locks.js';
import { openDatabase } from '../db/open.js';
import { checkSchemaVersion } from '../db/schema-version.js';
import { describeAccess } from '../inspector/index.js';
import { createLogger } from '../log/logger.js';
import { nodeConfig, runMain } from './cli.js';
import { startSocketShim } from './socket-shim.js';

runMain(async () => {
  const config = requireKeys(nodeConfig(), ['SLACK_APP_TOKEN']);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // Opening first gives the one-line "cannot reach" error; PGlite's own lock refuses a second process here.
  const database = await openDatabase(config.DATABASE_URL, {
    migrate: !config.DATABASE_URL?.startsWith('postgres'),
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  await checkSchemaVersion(database, logger); // an unmigrated PostgreSQL stops here, in one line
  const release = await holdSingleInstanceLock(config.DATABASE_URL).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  let shim: Awaited<ReturnType<typeof startSocketShim>> | null = null;
  const shutdown = async (code: number) => {
    await shim?.stop();
    await database.close();
    await release();
    process.exit(code);
  };
  const app = linkApp(logger);
  shim = await startSocketShim({
    app,
    settings: app.settings(process.env),
    config,
    database,
    logger,
    onFatal: (error) => {
      console.error(`error: ${error.message}`);
      void shutdown(1);
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info(`${signal}: finishing running effects, then disconnecting`);
      void shutdown(0);
    });
  }
  logger.info('Socket Mode connected: mention the bot, or type /link in a channel', {
    database: database.where,
  });
  if (shim.inspectorUrl) logger.info(`inspector: ${describeAccess(shim.inspectorAccess, shim.inspectorUrl)}`);
});
