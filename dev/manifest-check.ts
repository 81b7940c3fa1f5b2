/** `npm run manifest:check`: manifest.yaml declares every event, command, scope and unfurl domain the code needs. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { linkApp } from '../src/app/index.js';
import { checkManifest, ManifestSchema } from '../src/manifest/check.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

runMain(async () => {
  nodeConfig();
  const app = linkApp();
  const settings = app.settings(process.env);
  const parsed = ManifestSchema.safeParse(parse(readFileSync('manifest.yaml', 'utf8')));
  if (!parsed.success)
    throw new StartupError(
      `manifest.yaml: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  const problems = checkManifest(parsed.data, app.router.routes(), app.methods, settings.appUrl);
  if (problems.length > 0)
    throw new StartupError(`manifest.yaml does not match the code:\n  ${problems.join('\n  ')}`);
  console.log('manifest.yaml matches the code');
});
