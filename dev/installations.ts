/** `npm run installations -- list | remove <team or enterprise id>`: the stored OAuth installations (tokens never printed). */
import { listInstallations, removeInstallation } from '../src/db/installations.js';
import { openDatabase } from '../src/db/open.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

const USAGE = 'usage: npm run installations -- list | remove <team id T… or enterprise id E…>';
const SLACK_ID = /^[TE][A-Z0-9]{2,}$/;

runMain(async () => {
  const [command, id] = process.argv.slice(2);
  if (command !== 'list' && command !== 'remove') throw new StartupError(USAGE);
  if (command === 'remove' && (!id || !SLACK_ID.test(id))) {
    throw new StartupError(
      `a team id looks like T0123ABCD, an enterprise id like E0123ABCD (got "${id ?? ''}"). ${USAGE}`,
    );
  }
  const config = nodeConfig();
  const handle = await openDatabase(config.DATABASE_URL, {
    migrate: !config.DATABASE_URL?.startsWith('postgres'),
    max: 1,
  });
  try {
    if (command === 'list') {
      const all = await listInstallations(handle.db);
      if (all.length === 0)
        console.log('no installations yet: open /slack/install to add the app to a workspace');
      for (const row of all) {
        const who = row.isEnterpriseInstall
          ? `${row.enterpriseId} (org-wide: ${row.enterpriseName ?? '?'})`
          : `${row.teamId} (${row.teamName ?? '?'})${row.enterpriseId ? ` in ${row.enterpriseId}` : ''}`;
        const expiry = row.botTokenExpiresAt
          ? `token expires ${row.botTokenExpiresAt.toISOString()}`
          : 'token does not expire';
        console.log(
          `${who}\tbot ${row.botUserId ?? '?'}\tby ${row.installerUserId ?? '?'}\t${row.updatedAt.toISOString()}\t${expiry}\t${row.botScopes.join(',')}`,
        );
      }
    } else if (id) {
      const removed = await removeInstallation(handle.db, id);
      console.log(
        removed > 0
          ? `removed the installation of ${id} (its tokens are deleted)`
          : `no installation for ${id}`,
      );
    }
  } finally {
    await handle.close();
  }
});
