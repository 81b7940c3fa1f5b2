import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

/** A fixture file: a Slack payload and the Socket Mode envelope type that carries it. */
export const FixtureSchema = z.object({
  kind: z.enum(['events_api', 'slash_commands', 'interactive']),
  payload: z.record(z.string(), z.unknown()),
});
/** A Slack payload as Slack sends it, and the Socket Mode envelope type that carries it. */
export type Fixture = z.infer<typeof FixtureSchema> & { name: string };

/**
 * The fixtures in `dir` (`<name>.json` files, a path or a `file:` URL): their names, and one loaded by name.
 * @example const { load: fixture } = fixtureFolder(new URL('./fixtures/', import.meta.url))
 */
export function fixtureFolder(folder: string | URL) {
  const dir = folder instanceof URL ? fileURLToPath(folder) : folder;
  return {
    names: (): string[] =>
      readdirSync(dir)
        .filter((file) => file.endsWith('.json'))
        .map((file) => file.slice(0, -'.json'.length))
        .sort(),
    load: (name: string): Fixture => ({
      name,
      ...FixtureSchema.parse(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'))),
    }),
  };
}

/** The HTTP request body Slack sends for this payload: JSON, a command form, or a `payload=` form. */
export function httpForm(f: Fixture): { body: string; contentType: string } {
  switch (f.kind) {
    case 'events_api':
      return { body: JSON.stringify(f.payload), contentType: 'application/json' };
    case 'slash_commands': {
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(f.payload)) form.set(key, String(value));
      return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
    }
    case 'interactive':
      return {
        body: new URLSearchParams({ payload: JSON.stringify(f.payload) }).toString(),
        contentType: 'application/x-www-form-urlencoded',
      };
  }
}

/** The Socket Mode envelope Slack sends for this payload. */
export function socketForm(
  f: Fixture,
  options: { envelopeId?: string; retryAttempt?: number; retryReason?: string } = {},
): Record<string, unknown> {
  return {
    envelope_id: options.envelopeId ?? `env-${f.name}`,
    type: f.kind,
    payload: f.payload,
    accepts_response_payload: f.kind !== 'events_api',
    ...(f.kind === 'events_api'
      ? { retry_attempt: options.retryAttempt ?? 0, retry_reason: options.retryReason ?? '' }
      : {}),
  };
}
