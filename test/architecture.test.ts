import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Modules that tie code to a runtime, a database or the network. */
const RUNTIME = [
  /^node:/,
  /^hono(\/|$)/,
  /^@hono\//,
  /^drizzle-orm/,
  /^postgres$/,
  /^@electric-sql\/pglite/,
  /^@slack\/socket-mode/,
  /^@slack\/web-api/,
];
/** Node's built-ins, also without the `node:` prefix. */
const BUILTINS = new Set([
  'fs',
  'path',
  'http',
  'https',
  'net',
  'crypto',
  'os',
  'child_process',
  'stream',
  'url',
  'util',
  'events',
]);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every import or re-export in `source`, with whether it is type-only. */
function imports(source: string): { from: string; typeOnly: boolean }[] {
  const found: { from: string; typeOnly: boolean }[] = [];
  const pattern =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    const from = match[3] ?? match[4] ?? '';
    found.push({ from, typeOnly: Boolean(match[2]) });
  }
  return found;
}

describe('the core and the handlers', () => {
  const sources = [...files('src/core'), ...files('src/handlers')];

  it('are where we think they are', () => {
    expect(sources.length).toBeGreaterThan(10);
  });

  it.each(sources)('%s imports no runtime module except as a type', (file) => {
    const offending = imports(readFileSync(file, 'utf8')).filter(
      ({ from, typeOnly }) => !typeOnly && (RUNTIME.some((re) => re.test(from)) || BUILTINS.has(from)),
    );
    expect(offending).toEqual([]);
  });

  it('the check catches what it is meant to', () => {
    const sample = [
      "import { WebClient } from '@slack/web-api';",
      "import type { ChatPostMessageArguments } from '@slack/web-api';",
      "import { readFile } from 'node:fs/promises';",
      "export { Hono } from 'hono';",
      "const pg = await import('postgres');",
    ].join('\n');
    expect(imports(sample)).toEqual([
      { from: '@slack/web-api', typeOnly: false },
      { from: '@slack/web-api', typeOnly: true },
      { from: 'node:fs/promises', typeOnly: false },
      { from: 'hono', typeOnly: false },
      { from: 'postgres', typeOnly: false },
    ]);
  });
});
