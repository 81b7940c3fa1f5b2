/**
 * `npm run manifest:push [-- --force]`: validates manifest.yaml (placeholders filled) with Slack, refuses
 * to overwrite live changes it lacks unless --force, then updates the live app.
 * Exit 0 pushed (or nothing to push), 1 refused (invalid manifest or live drift), 2 error.
 */
import { parseArgs } from 'node:util';
import { appUrlOf } from '../src/app/settings.js';
import {
  type CommandIo,
  isEntry,
  openManifestCommand,
  processIo,
  reportError,
} from '../src/manifest/command.js';
import { diffManifests, formatChange, liveDrift } from '../src/manifest/diff.js';
import { InvalidManifestError } from '../src/manifest/live.js';
import { runMain, StartupError } from '../src/runtime/cli.js';

const USAGE = 'usage: npm run manifest:push [-- --force]';

function printProblems(error: InvalidManifestError, io: CommandIo): number {
  io.err(`error: ${error.message}:`);
  for (const problem of error.problems) io.err(`  ${problem.pointer}: ${problem.message}`);
  return 1;
}

/** Validates, checks for live drift, updates; returns the exit code. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CommandIo = processIo,
): Promise<number> {
  try {
    let force = false;
    try {
      force =
        parseArgs({ args: argv, options: { force: { type: 'boolean' } }, strict: true }).values.force ===
        true;
    } catch (error) {
      throw new StartupError(`${error instanceof Error ? error.message : String(error)}; ${USAGE}`);
    }
    const { local, live, appId } = openManifestCommand(env, io, appUrlOf);
    await live.validate(local);
    const changes = diffManifests(await live.exportManifest(), local);
    if (changes.length === 0) {
      io.out(`the live app ${appId} already equals manifest.yaml: nothing to push`);
      return 0;
    }
    const drift = liveDrift(changes);
    if (drift.length > 0 && !force) {
      io.err(`error: the live app ${appId} has settings manifest.yaml would remove or overwrite:`);
      for (const change of drift) io.err(`  ${formatChange(change)}`);
      io.err('Put them into manifest.yaml, or run npm run manifest:push -- --force to overwrite them.');
      return 1;
    }
    io.out(`pushing manifest.yaml to the live app ${appId} (+ added, - removed):`);
    for (const change of changes) io.out(`  ${formatChange(change)}`);
    const { permissionsUpdated } = await live.update(local);
    io.out(`updated the live app ${appId}`);
    if (permissionsUpdated)
      io.out(
        "Slack says the app's permissions changed (permissions_updated): reinstall the app (Install App → Reinstall to Workspace) for them to take effect",
      );
    return 0;
  } catch (error) {
    if (error instanceof InvalidManifestError) return printProblems(error, io);
    return reportError(error, io, [StartupError]);
  }
}

if (isEntry(import.meta.url)) {
  runMain(async () => {
    process.exitCode = await main(process.argv.slice(2), process.env);
  });
}
