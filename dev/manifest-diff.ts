/**
 * `npm run manifest:diff`: manifest.yaml (placeholders filled) against the live app. Exit 0 equal, 1 differ, 2 error.
 * `-- --print` prints the filled manifest instead (for "Create New App → From a manifest"); no Slack call.
 */
import { stringify } from 'yaml';
import { appUrlOf } from '../src/app/settings.js';
import {
  type CommandIo,
  isEntry,
  localManifest,
  openManifestCommand,
  processIo,
  reportError,
} from '../src/manifest/command.js';
import { diffManifests, formatChange } from '../src/manifest/diff.js';
import { runMain, StartupError } from '../src/runtime/cli.js';

const USAGE =
  'usage: npm run manifest:diff (reads SLACK_APP_ID, SLACK_CONFIG_TOKEN, SLACK_CONFIG_REFRESH_TOKEN)';

/** Prints the diff; returns the exit code. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CommandIo = processIo,
): Promise<number> {
  try {
    if (argv.length === 1 && argv[0] === '--print') {
      io.out(stringify(localManifest(env, io, appUrlOf)).trimEnd());
      return 0;
    }
    if (argv.length > 0) throw new StartupError(`unexpected argument ${argv[0]}; ${USAGE}`);
    const { local, live, appId } = openManifestCommand(env, io, appUrlOf);
    const changes = diffManifests(await live.exportManifest(), local);
    if (changes.length === 0) {
      io.out(`manifest.yaml equals the live app ${appId}`);
      return 0;
    }
    io.out(
      `manifest.yaml differs from the live app ${appId} (+ only in manifest.yaml, - only in the live app):`,
    );
    for (const change of changes) io.out(`  ${formatChange(change)}`);
    return 1;
  } catch (error) {
    return reportError(error, io, [StartupError]);
  }
}

if (isEntry(import.meta.url)) {
  runMain(async () => {
    process.exitCode = await main(process.argv.slice(2), process.env);
  });
}
