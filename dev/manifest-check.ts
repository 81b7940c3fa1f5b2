/** `npm run manifest:check`: manifest.yaml declares every event, command, scope and unfurl domain the code needs. */
import { createAppRouter } from '../src/handlers/index.js';
import { apiMethodsUsed } from '../src/handlers/methods.js';
import { ManifestError } from '../src/manifest/errors.js';
import { loadManifest, placeholderValues } from '../src/manifest/placeholders.js';
import { checkManifest, ManifestSchema } from '../src/manifest.js';
import { checkInstallScopes } from '../src/oauth/scopes.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

runMain(async () => {
  const config = nodeConfig();
  let filled: Record<string, unknown>;
  try {
    filled = loadManifest('manifest.yaml', placeholderValues(process.env, config.APP_URL)); // ${…} filled
  } catch (error) {
    throw error instanceof ManifestError ? new StartupError(error.message) : error;
  }
  const parsed = ManifestSchema.safeParse(filled);
  if (!parsed.success)
    throw new StartupError(
      `manifest.yaml: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  const problems = checkManifest(parsed.data, createAppRouter().routes(), apiMethodsUsed(), config.APP_URL);
  problems.push(...checkInstallScopes(parsed.data)); // the install asks for exactly the manifest's scopes
  if (problems.length > 0)
    throw new StartupError(`manifest.yaml does not match the code:\n  ${problems.join('\n  ')}`);
  console.log('manifest.yaml matches the code');
});
