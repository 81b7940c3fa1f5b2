/** `npm run manifest:check`: manifest.yaml declares every event, command, scope and unfurl domain the code needs. */
import { linkApp } from '../src/app/index.js';
import { checkManifest, ManifestSchema } from '../src/manifest/check.js';
import { ManifestError } from '../src/manifest/errors.js';
import { loadManifest, placeholderValues } from '../src/manifest/placeholders.js';
import { checkInstallScopes } from '../src/oauth/scopes.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

runMain(async () => {
  nodeConfig();
  const app = linkApp();
  const settings = app.settings(process.env);
  let filled: Record<string, unknown>;
  try {
    filled = loadManifest('manifest.yaml', placeholderValues(process.env, settings.appUrl)); // ${…} filled
  } catch (error) {
    throw error instanceof ManifestError ? new StartupError(error.message) : error;
  }
  const parsed = ManifestSchema.safeParse(filled);
  if (!parsed.success)
    throw new StartupError(
      `manifest.yaml: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  // What the routes declare (kinds, names, the methods each calls) is all the check reads of the code.
  const problems = checkManifest(parsed.data, app.router.declarations(), settings.appUrl, app.scopes);
  problems.push(...checkInstallScopes(parsed.data)); // the install asks for exactly the manifest's scopes
  if (problems.length > 0)
    throw new StartupError(`manifest.yaml does not match the code:\n  ${problems.join('\n  ')}`);
  console.log('manifest.yaml matches the code');
});
