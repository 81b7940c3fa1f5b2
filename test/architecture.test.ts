import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, lowest first. A folder imports only folders of a lower rank (and itself):
 * imports go down, and no two folders import each other.
 */
const RANK: Record<string, number> = {
  core: 0,
  config: 1,
  log: 1,
  db: 2,
  // Models through the AI SDK: what a stream task yields, and the scripted model (imports only the core).
  ai: 2.5,
  slack: 3,
  app: 3,
  manifest: 3.5,
  oauth: 4,
  pipeline: 4,
  // Metrics (prom-client, Node only) and traces (@opentelemetry/api) fed by the pipeline's hooks.
  observe: 4.2,
  inspector: 4.5,
  http: 5,
  socket: 5,
  testing: 6,
  runtime: 7,
};

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
/** Database drivers and the ORM: only src/db and the app's own store (src/app/store) use them. */
const DATABASE = [/^drizzle-orm/, /^postgres$/, /^@electric-sql\/pglite/];
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
]);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

interface Import {
  from: string;
  typeOnly: boolean;
}

/** Every import or re-export in `source`, with whether it is type-only. */
function imports(source: string): Import[] {
  const found: Import[] = [];
  const pattern =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    found.push({ from: match[3] ?? match[4] ?? '', typeOnly: Boolean(match[2]) });
  }
  return found;
}

/** The src/ folder a path (relative to the repository) is in, e.g. `core`; null outside src/. */
function folderOf(path: string): string | null {
  const parts = path.split(/[\\/]/);
  return parts[0] === 'src' && parts.length > 2 ? (parts[1] ?? null) : null;
}

/** What is wrong with the imports of `file` (a path under src/), given its source text. */
function violations(file: string, source: string): string[] {
  const folder = folderOf(file);
  if (!folder) return [];
  const problems: string[] = [];
  const pure = folder === 'core' || file.startsWith(posix.join('src', 'app', 'handlers'));
  for (const { from, typeOnly } of imports(source)) {
    if (from.startsWith('.')) {
      const target = relative('.', join(dirname(file), from));
      const to = folderOf(target);
      // The migrations' journal, built into src/db so a bundle knows which schema it needs.
      if (folder === 'db' && target.startsWith(join('drizzle', 'meta'))) continue;
      if (!to) {
        problems.push(`${from}: outside src/`);
        continue;
      }
      const rank = RANK[to];
      if (rank === undefined) problems.push(`${from}: folder src/${to} has no place in the layers`);
      else if (to !== folder && rank >= (RANK[folder] ?? -1))
        problems.push(`${from}: src/${to} is not below src/${folder}`);
      if (file.includes(join('app', 'handlers')) && !typeOnly && target.includes(join('app', 'store'))) {
        problems.push(`${from}: handlers get the store through ctx.lookups, not by import`);
      }
      continue;
    }
    if (pure && !typeOnly && (RUNTIME.some((re) => re.test(from)) || BUILTINS.has(from))) {
      problems.push(`${from}: a runtime module in pure code`);
    }
    const door = folder === 'db' || file.startsWith(join('src', 'app', 'store'));
    if (!door && DATABASE.some((re) => re.test(from)) && !typeOnly) {
      problems.push(`${from}: only src/db (and the app's store) reach the database`);
    }
  }
  return problems;
}

describe('the layout', () => {
  const sources = files('src');

  it('puts every folder of src/ in a layer', () => {
    const folders = [...new Set(sources.map(folderOf))].filter((f): f is string => f !== null);
    expect(folders.filter((f) => !(f in RANK))).toEqual([]);
    expect(sources.length).toBeGreaterThan(40);
  });

  it.each(sources)('%s imports only downwards, and nothing it should not', (file) => {
    expect(violations(file, readFileSync(file, 'utf8'))).toEqual([]);
  });
});

describe('the import check', () => {
  it('reads imports, re-exports and dynamic imports with their kind', () => {
    const sample = [
      "import { WebClient } from '@slack/web-api';",
      "import type { ChatPostMessageArguments } from '@slack/web-api';",
      "export { Hono } from 'hono';",
      "const pg = await import('postgres');",
    ].join('\n');
    expect(imports(sample)).toEqual([
      { from: '@slack/web-api', typeOnly: false },
      { from: '@slack/web-api', typeOnly: true },
      { from: 'hono', typeOnly: false },
      { from: 'postgres', typeOnly: false },
    ]);
  });

  it('catches a relative import from the core into the database', () => {
    expect(violations('src/core/router.ts', "import { claimEffects } from '../db/outbox.js';")).toEqual([
      '../db/outbox.js: src/db is not below src/core',
    ]);
  });

  it('catches a folder importing one above it, and two folders importing each other', () => {
    expect(violations('src/db/record.ts', "import type { Pipeline } from '../pipeline/build.js';")).toEqual([
      '../pipeline/build.js: src/pipeline is not below src/db',
    ]);
    expect(violations('src/http/app.ts', "import { socketMount } from '../socket/mount.js';")).toEqual([
      '../socket/mount.js: src/socket is not below src/http',
    ]);
  });

  it('catches a handler that reaches the store or a runtime module', () => {
    const handler = 'src/app/handlers/command-link.ts';
    expect(violations(handler, "import { DbLookups } from '../store/lookups.js';")).toEqual([
      '../store/lookups.js: handlers get the store through ctx.lookups, not by import',
    ]);
    expect(violations(handler, "import { readFile } from 'node:fs/promises';")).toEqual([
      'node:fs/promises: a runtime module in pure code',
    ]);
  });

  it('catches SQL outside the door to the database', () => {
    expect(violations('src/slack/tokens.ts', "import { eq } from 'drizzle-orm';")).toEqual([
      "drizzle-orm: only src/db (and the app's store) reach the database",
    ]);
    expect(violations('src/app/store/apply.ts', "import { eq } from 'drizzle-orm';")).toEqual([]);
  });
});
