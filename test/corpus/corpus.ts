import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { type Fixture, httpForm } from '../helpers/fixtures.js';

const CORPUS_DIR = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));

const wrapper = { source: z.string().min(1), note: z.string().min(1).optional() };
const fields = z.record(z.string(), z.string());
const json = z.record(z.string(), z.unknown());

/** One corpus file: a delivery Slack sends, as published by someone else, and where it came from. */
export const CorpusFileSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...wrapper, kind: z.literal('event'), body: json }),
  z.strictObject({ ...wrapper, kind: z.literal('interactive'), body: json }),
  z.strictObject({ ...wrapper, kind: z.literal('url_verification'), body: json }),
  z.strictObject({ ...wrapper, kind: z.literal('command'), body: fields }),
  z.strictObject({ ...wrapper, kind: z.literal('ssl_check'), body: fields }),
]);
/** A corpus file, named by its path under test/fixtures/corpus without `.json`. */
export type CorpusEntry = z.infer<typeof CorpusFileSchema> & { name: string };

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsonFiles(path);
    return entry.name.endsWith('.json') ? [path] : [];
  });
}

/** Every file in test/fixtures/corpus, checked against the wrapper schema, sorted by name. */
export function loadCorpus(): CorpusEntry[] {
  return jsonFiles(CORPUS_DIR)
    .map((path) => {
      const name = relative(CORPUS_DIR, path).slice(0, -'.json'.length);
      const parsed = CorpusFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
      if (!parsed.success) throw new Error(`${name}: ${z.prettifyError(parsed.error)}`);
      return { ...parsed.data, name };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const form = (values: Record<string, string>) => new URLSearchParams(values).toString();

/** The request body and content type Slack uses over HTTP for this delivery's kind. */
export function httpEncoding(entry: CorpusEntry): { body: string; contentType: string } {
  // What Socket Mode also carries is encoded by the kit, as every other test sends it.
  const fixture = socketFixture(entry);
  if (fixture) return httpForm(fixture);
  if (entry.kind === 'ssl_check')
    return { body: form(entry.body), contentType: 'application/x-www-form-urlencoded' };
  return { body: JSON.stringify(entry.body), contentType: 'application/json' };
}

/** The delivery as a kit fixture, for the kinds Socket Mode carries; null for the HTTP-only ones. */
export function socketFixture(entry: CorpusEntry): Fixture | null {
  switch (entry.kind) {
    case 'event':
      return { name: entry.name, kind: 'events_api', payload: entry.body };
    case 'command':
      return { name: entry.name, kind: 'slash_commands', payload: entry.body };
    case 'interactive':
      return { name: entry.name, kind: 'interactive', payload: entry.body };
    case 'url_verification':
    case 'ssl_check':
      return null; // Socket Mode has no Request URL to verify or check
    default: {
      const unreachable: never = entry;
      return unreachable;
    }
  }
}
