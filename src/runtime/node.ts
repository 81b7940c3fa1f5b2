/** `npm run dev:http`: the HTTP mount on Node (node:http; deliveries straight, the rest through Hono). */
import { linkApp } from '../app/index.js';
import { requireKeys } from '../config/settings.js';
import { openDatabase } from '../db/open.js';
import { checkSchemaVersion } from '../db/schema-version.js';
import { describeAccess } from '../inspector/index.js';
import { createLogger } from '../log/logger.js';
import { nodeConfig, runMain } from './cli.js';
import { startHttpServer } from './node-http.js';

runMain(async () => {
  const config = requireKeys(nodeConfig(), ['SLACK_SIGNING_SECRET']);
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  const database = await openDatabase(config.DATABASE_URL, {
    migrate: !config.DATABASE_URL?.startsWith('postgres'),
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
  });
  await checkSchemaVersion(database, logger); // an unmigrated PostgreSQL stops here, in one line
  const app = linkApp(logger);
  const settings = app.settings(process.env);
  const server = await startHttpServer({ app, settings, config, database, logger });
  const stop = async (signal: string) => {
    logger.info(`${signal}: finishing running effects`);
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  logger.info(`listening on http://${host}:${server.port}/slack/events`, { database: database.where });
  logger.info(
    `inspector: ${describeAccess(server.inspectorAccess, `http://${host}:${server.port}/_inspect`)}`,
  );
});
