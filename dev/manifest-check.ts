/** `npm run manifest:check`: manifest.yaml declares every event, command, scope and unfurl domain the code needs. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createAppRouter } from '../src/handlers/index.js';
import { apiMethodsUsed } from '../src/handlers/methods.js';
import { checkManifest, ManifestSchema } from '../src/manifest.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

runMain(async () => {
  const config = nodeConfig();
  const parsed = ManifestSchema.safeParse(parse(readFileSync('manifest.yaml', 'utf8')));
  if (!parsed.success)
    throw new StartupError(
      `manifest.yaml: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  const problems = checkManifest(parsed.data, createAppRouter().routes(), apiMethodsUsed(), config.APP_URL);
  if (problems.length > 0)
    throw new StartupError(`manifest.yaml does not match the code:\n  ${problems.join('\n  ')}`);
  console.log('manifest.yaml matches the code');
});
