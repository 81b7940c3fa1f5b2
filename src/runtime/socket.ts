/**
 * `npm run dev:socket` / `start:socket`: Socket Mode. On a laptop no public URL, tunnel or database
 * server; on PostgreSQL several processes serve one app together.
 */
import { linkApp } from '../app/index.js';
import { requireKeys } from '../config/settings.js';
import { openDatabase } from '../db/open.js';
import { DatabaseLockedError } from '../db/pglite.js';
import { checkSchemaVersion } from '../db/schema-version.js';
import { describeAccess } from '../inspector/index.js';
import { createLogger } from '../log/logger.js';
import { nodeConfig, runMain } from './cli.js';
import { startSocketShim } from './socket-shim.js';

/** Why a second process is refused on the embedded database. */
const ONE_PROCESS =
  'the embedded database serves one process, so Socket Mode runs one process on it; several processes share one app only on PostgreSQL';

runMain(async () => {
  const config = requireKeys(nodeConfig(), ['SLACK_APP_TOKEN']);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  // Opening first gives the one-line "cannot reach" error. On PostgreSQL several processes share the
  // app's connection slots; PGlite serves one process, and its own lock refuses a second one here.
  const database = await openDatabase(config.DATABASE_URL, {
    migrate: !config.DATABASE_URL?.startsWith('postgres'),
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  }).catch((error: unknown) => {
    if (!(error instanceof DatabaseLockedError)) throw error;
    throw new DatabaseLockedError(`${error.message} (${ONE_PROCESS})`);
  });
  await checkSchemaVersion(database, logger); // an unmigrated PostgreSQL stops here, in one line
  let shim: Awaited<ReturnType<typeof startSocketShim>> | null = null;
  const shutdown = async (code: number) => {
    await shim?.stop();
    await database.close();
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
