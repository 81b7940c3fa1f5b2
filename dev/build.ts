/**
 * `npm run build`: dist/ for plain `node` with production dependencies only.
 *   dist/node.js (HTTP server), dist/socket.js (Socket Mode), dist/migrate.js (db:migrate), dist/drizzle/.
 *   node_modules stay external: PGlite finds its pglite.data and .wasm files in its own package.
 * `npm run build:lambda`: dist/lambda/index.mjs, one ESM file with everything (no node_modules), no PGlite.
 * `--outdir <dir>` builds somewhere else than dist/ (tests).
 */
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { BUILT_DEFINE } from '../src/runtime/node-build.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node entries: output name → source. Switch `socket` to src/runtime/socket.ts when it moves. */
export const NODE_ENTRIES = {
  node: 'src/runtime/node.ts',
  socket: 'src/runtime/socket.ts',
  migrate: 'dev/migrate.ts',
} as const;

/** The Lambda entry: exports `handler` and `drain`. */
export const LAMBDA_ENTRY = 'src/runtime/lambda.ts';

/** ESM bundles calling `require` (postgres.js, @slack/web-api's dependencies) need a real one. */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  banner: { js: REQUIRE_BANNER },
};

/**
 * Lambda runs on PostgreSQL only: `src/db/pglite.js` (and with it @electric-sql/pglite, ~10 MB of
 * wasm and data) is replaced by a module that refuses in one line.
 */
const noEmbeddedDatabase: Plugin = {
  name: 'no-embedded-database',
  setup(b) {
    b.onResolve({ filter: /^\.\/pglite\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'db', 'open.ts'))
        ? { path: 'embedded-database-refused', namespace: 'no-pglite' }
        : undefined,
    );
    b.onResolve({ filter: /^@electric-sql\/pglite/ }, (args) => ({
      errors: [{ text: `PGlite must not be in the Lambda bundle (imported by ${args.importer})` }],
    }));
    b.onLoad({ filter: /.*/, namespace: 'no-pglite' }, () => ({
      resolveDir: join(root, 'src', 'db'),
      loader: 'ts',
      contents: `
        import { ConfigError } from '../core/errors.js';
        export async function openPglite(): Promise<never> {
          throw new ConfigError('DATABASE_URL', 'DATABASE_URL must be a postgres:// URL on Lambda: the embedded database (PGlite) is not in this bundle');
        }`,
    }));
  },
};

const size = (file: string) => `${(statSync(file).size / 1024).toFixed(1)} KiB`;

/** dist/node.js, dist/socket.js, dist/migrate.js and dist/drizzle/. Returns the files written. */
export async function buildNode(outdir = join(root, 'dist')): Promise<string[]> {
  mkdirSync(outdir, { recursive: true });
  for (const name of Object.keys(NODE_ENTRIES)) {
    rmSync(join(outdir, `${name}.js`), { force: true });
    rmSync(join(outdir, `${name}.js.map`), { force: true });
  }
  await build({
    ...common,
    entryPoints: Object.entries(NODE_ENTRIES).map(([out, source]) => ({ in: source, out })),
    outdir,
    packages: 'external',
    // A built entry is production by default: the inspector is hidden without INSPECTOR_TOKEN.
    define: BUILT_DEFINE,
  });
  rmSync(join(outdir, 'drizzle'), { recursive: true, force: true });
  cpSync(join(root, 'drizzle'), join(outdir, 'drizzle'), { recursive: true });
  return [...Object.keys(NODE_ENTRIES).map((name) => join(outdir, `${name}.js`)), join(outdir, 'drizzle')];
}

/** dist/lambda/index.mjs: everything bundled, nothing from node_modules at run time. */
export async function buildLambda(outdir = join(root, 'dist', 'lambda')): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  const outfile = join(outdir, 'index.mjs');
  await build({
    ...common,
    entryPoints: [LAMBDA_ENTRY],
    outfile,
    // Lambda's Node runtime ships the AWS SDK; nothing here needs it, so nothing is external.
    plugins: [noEmbeddedDatabase],
    minify: true,
    keepNames: true,
  });
  return outfile;
}

async function main(args: string[]): Promise<void> {
  const at = args.indexOf('--outdir');
  const outdir = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && !outdir) throw new Error('--outdir needs a folder');
  const kind = args.find((arg, i) => !arg.startsWith('--') && (at < 0 || i !== at + 1)) ?? 'node';
  const show = (file: string) => relative(process.cwd(), file) || file;
  if (kind === 'node') {
    const files = await buildNode(outdir && resolve(outdir));
    for (const file of files.filter((f) => f.endsWith('.js'))) console.log(`${show(file)}  ${size(file)}`);
    console.log(`${show(files.at(-1) as string)}/  (migrations)`);
  } else if (kind === 'lambda') {
    const file = await buildLambda(outdir && resolve(outdir));
    console.log(`${show(file)}  ${size(file)}  (handler, drain)`);
  } else {
    throw new Error(`unknown build "${kind}": use node or lambda`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    // esbuild has already printed its errors with their places.
    console.error(`error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exit(1);
  });
}
