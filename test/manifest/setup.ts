import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { CommandIo } from '../../src/manifest/command.js';
import { loadManifest, placeholderValues } from '../../src/manifest/placeholders.js';

export const APP_ID = 'A0APP0001';
export const CONFIG_TOKEN = 'xoxe.xoxp-1-config-old';
export const REFRESH_TOKEN = 'xoxe-1-refresh-old';

/** The fields the tests edit; everything else passes through. */
const TestManifestSchema = z.looseObject({
  display_information: z.looseObject({ name: z.string() }),
  features: z.looseObject({
    slash_commands: z.array(z.looseObject({ command: z.string(), description: z.string() })),
    unfurl_domains: z.array(z.string()),
  }),
  oauth_config: z.looseObject({ scopes: z.looseObject({ bot: z.array(z.string()) }) }),
  settings: z.looseObject({ event_subscriptions: z.looseObject({ bot_events: z.array(z.string()) }) }),
});
export type TestManifest = z.infer<typeof TestManifestSchema>;

/** The repository's manifest.yaml filled for a laptop (defaults): what a matching live app exports. */
export function laptopManifest(): TestManifest {
  return TestManifestSchema.parse(
    loadManifest('manifest.yaml', placeholderValues({}, new URL('https://app.example.com'))),
  );
}

/** A folder holding a copy of manifest.yaml (and `.env` when given), and an io that records lines. */
export function workspace(
  envFile?: string,
): CommandIo & { dir: string; outLines: string[]; errLines: string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
  copyFileSync('manifest.yaml', join(dir, 'manifest.yaml'));
  if (envFile !== undefined) writeFileSync(join(dir, '.env'), envFile);
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    dir,
    cwd: dir,
    outLines,
    errLines,
    out: (line) => outLines.push(line),
    err: (line) => errLines.push(line),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The environment the commands get: the fake Slack, the app id and a config token pair. */
export function commandEnv(
  apiUrl: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    SLACK_API_URL: apiUrl,
    SLACK_APP_ID: APP_ID,
    SLACK_CONFIG_TOKEN: CONFIG_TOKEN,
    SLACK_CONFIG_REFRESH_TOKEN: REFRESH_TOKEN,
    ...extra,
  };
}

/** A deep copy with `edit` applied. */
export function edited(manifest: TestManifest, edit: (copy: TestManifest) => void): TestManifest {
  const copy = structuredClone(manifest);
  edit(copy);
  return copy;
}
