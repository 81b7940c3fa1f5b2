/** `npm run db:migrate`: applies drizzle/ migrations to DATABASE_URL. */
import { openDatabase } from '../src/db/open.js';
import { nodeConfig, runMain } from '../src/runtime/cli.js';

runMain(async () => {
  const config = nodeConfig();
  const handle = await openDatabase(config.DATABASE_URL, { migrate: true, max: 1 });
  console.log(`migrations applied to ${handle.where}`);
  await handle.close();
});
