/**
 * The Dockerfile's final stage, assembled from its COPY lines into a temp folder with its own
 * `npm ci --omit=dev` (production dependencies only), run with plain node: its CMD serves /healthz and
 * its HEALTHCHECK passes; `npm start` there acks a signed delivery; `npm run start:socket` connects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { JOURNAL } from '../../src/db/schema-version.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import {
  type Assembled,
  assembleFinalStage,
  ignored,
  parseCopy,
  parseDockerfile,
  type Stage,
} from './dockerfile.js';
import { emptyPostgres, root, run, runTsx, SLOW_MS, STACK_FRAME, tempDir, waitForHttp } from './support.js';

const INSTALL_MS = 300_000;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const build = stages[0] as Stage;
const fake = new FakeSlack();
let buildDir = '';
let image: Assembled;

/** Builds what the build stage's `npm run build` makes, into a folder standing for its WORKDIR. */
async function buildStage(): Promise<string> {
  const dir = tempDir('docker-build');
  const { code, out } = await runTsx('dev/build.ts', ['--outdir', join(dir, 'dist')]);
  expect(code, out).toBe(0);
  return dir;
}

const workdirOf = (stage: Stage) => stage.instructions.find((i) => i.op === 'WORKDIR')?.args ?? '/';

function assemble(text: string, linkNodeModules?: string): Assembled {
  const parsed = parseDockerfile(text);
  return assembleFinalStage(parsed.at(-1) as Stage, {
    context: root,
    stages: { [build.name ?? '0']: { workdir: workdirOf(build), dir: buildDir } },
    into: tempDir('docker-final'),
    linkNodeModules,
  });
}

beforeAll(async () => {
  await fake.start();
  buildDir = await buildStage();
  image = assemble(dockerfile);
}, INSTALL_MS);
afterAll(() => fake.stop());

/** The app's environment on top of the image's ENV, as `docker run -e` would give it. */
const appEnv = (extra: Record<string, string>) => ({
  ...image.env,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_API_URL: fake.apiUrl,
  ...extra,
});

async function deliverMention(at: number): Promise<Response> {
  const { body, contentType } = httpForm(fixture('event_app_mention'));
  return fetch(`http://127.0.0.1:${at}/slack/events`, {
    method: 'POST',
    body,
    headers: await slackHeaders(body, contentType),
  });
}

describe('the Dockerfile', () => {
  it('builds in a node:20-slim stage and runs as node on 0.0.0.0 in a node:20-slim final stage', () => {
    expect(stages.map((s) => s.image)).toEqual(['node:20-slim', 'node:20-slim']);
    expect(build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual([
      'npm ci --no-audit --no-fund',
      'npm run build',
    ]);
    expect(image.user).toBe('node');
    expect(image.env).toMatchObject({ HOST: '0.0.0.0', PORT: '3000' });
    expect(image.expose).toEqual(['3000']);
    expect(image.cmd).toEqual(['node', 'dist/node.js']);
    expect(image.healthcheck?.[0]).toBe('node');
  });

  it('copies into the build stage only what exists and .dockerignore lets through', () => {
    const skip = ignored(root);
    for (const copy of build.instructions.filter((i) => i.op === 'COPY')) {
      for (const source of parseCopy(copy.args).sources) {
        expect(skip(source), `${source} is in .dockerignore`).toBe(false);
        expect(existsSync(join(root, source)), `${source} does not exist`).toBe(true);
      }
    }
    expect(skip('.env')).toBe(true);
    expect(skip('node_modules')).toBe(true);
    expect(skip('dist')).toBe(true);
  });

  it(
    'final stage: its CMD serves /healthz with the embedded database in .data, and its HEALTHCHECK passes',
    async () => {
      const at = await freePort();
      const server = run(image.cmd[0] as string, image.cmd.slice(1), appEnv({ PORT: String(at) }), image.dir);
      try {
        const health = await waitForHttp(`http://127.0.0.1:${at}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok', ready: true, version: '0.1.0', database: 'ok' });
        expect(server.output()).toContain(
          `listening on http://0.0.0.0:${at}/slack/events database="pglite .data/pglite"`,
        );
        const [command, ...args] = image.healthcheck as string[];
        const check = run(command as string, args, { PORT: String(at) }, image.dir);
        expect(await check.exited, check.output()).toBe(0);
      } finally {
        await server.stop();
      }
      expect(server.output()).not.toMatch(STACK_FRAME);
    },
    SLOW_MS,
  );

  it(
    'fails when a COPY leaves out the lockfile (npm ci refuses) or dist (the CMD cannot start)',
    async () => {
      expect(() =>
        assemble(
          dockerfile.replace(/^COPY package\.json package-lock\.json \.\/$/gm, 'COPY package.json ./'),
        ),
      ).toThrow(/RUN npm ci|Command failed/);
      const withoutDist = assemble(
        dockerfile.replace(/^COPY --from=build \/app\/dist \.\/dist$/m, ''),
        join(image.dir, 'node_modules'),
      );
      const server = run(
        withoutDist.cmd[0] as string,
        withoutDist.cmd.slice(1),
        appEnv({ PORT: String(await freePort()) }),
        withoutDist.dir,
      );
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain("Cannot find module '");
      expect(server.output()).toContain('dist/node.js');
    },
    SLOW_MS,
  );
});

describe('npm start and npm run start:socket, from dist with production dependencies only', () => {
  it(
    'npm start serves /healthz and acks a signed delivery, whose reply reaches Slack',
    async () => {
      const at = await freePort();
      fake.reset();
      const server = run(
        'npm',
        ['start'],
        appEnv({ PORT: String(at), DATABASE_URL: 'memory://' }),
        image.dir,
      );
      try {
        expect((await waitForHttp(`http://127.0.0.1:${at}/healthz`)).status).toBe(200);
        const res = await deliverMention(at);
        expect(res.status).toBe(200);
        await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'), 30_000);
        expect(fake.callsOf('chat.postMessage').map((c) => [c.token, c.args.channel])).toEqual([
          [BOT_TOKEN, 'C0CHAN001'],
        ]);
      } finally {
        await server.stop();
      }
      expect(server.output()).toMatch(/event app_mention .*handler=event:app_mention/);
      expect(server.output()).not.toContain(BOT_TOKEN);
    },
    SLOW_MS,
  );

  it(
    'npm run start:socket connects to Slack over Socket Mode',
    async () => {
      const socket = run(
        'npm',
        ['run', 'start:socket'],
        appEnv({ SLACK_APP_TOKEN: 'xapp-1-A0APP0001-test', DATABASE_URL: 'memory://' }),
        image.dir,
      );
      try {
        await socket.waitFor('Socket Mode connected');
      } finally {
        await socket.stop();
      }
      expect(socket.output()).not.toContain('xapp-1-A0APP0001-test');
    },
    SLOW_MS,
  );
});

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) console.info('TEST_DATABASE_URL is not set: npm start is not tried against PostgreSQL');

describe.skipIf(!adminUrl)('npm start against PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof emptyPostgres>>;
  beforeAll(async () => {
    database = await emptyPostgres(adminUrl as string);
  });
  afterAll(() => database?.drop());

  it(
    'refuses an unmigrated database in one line (HTTP and Socket Mode), then serves once dist/migrate.js ran',
    async () => {
      const where = `postgres ${new URL(database.url).hostname}:${new URL(database.url).port || '5432'}/${database.name}`;
      const tags = JOURNAL.length > 1 ? `${JOURNAL[0]?.tag} … ${JOURNAL.at(-1)?.tag}` : `${JOURNAL[0]?.tag}`;
      const line = `error: the database (${where}) has no migrations applied, this build needs ${JOURNAL.length} migration${JOURNAL.length === 1 ? '' : 's'} (${tags}): run npm run db:migrate`;

      const http = run(
        'node',
        ['dist/node.js'],
        appEnv({ DATABASE_URL: database.url, PORT: String(await freePort()) }),
        image.dir,
      );
      expect(await http.exited).toBe(1);
      expect(http.output().trim()).toBe(line);

      const socket = run(
        'node',
        ['dist/socket.js'],
        appEnv({ DATABASE_URL: database.url, SLACK_APP_TOKEN: 'xapp-1-A0APP0001-test' }),
        image.dir,
      );
      expect(await socket.exited).toBe(1);
      expect(socket.output().trim()).toBe(line);

      const migrate = run('node', ['dist/migrate.js'], { DATABASE_URL: database.url }, image.dir);
      expect(await migrate.exited, migrate.output()).toBe(0);
      expect(migrate.output().trim()).toBe(`migrations applied to ${where}`);

      const at = await freePort();
      fake.reset();
      const server = run(
        'npm',
        ['start'],
        appEnv({ DATABASE_URL: database.url, PORT: String(at) }),
        image.dir,
      );
      try {
        const health = await waitForHttp(`http://127.0.0.1:${at}/healthz`);
        expect(await health.json()).toEqual({ status: 'ok', ready: true, version: '0.1.0', database: 'ok' });
        expect((await deliverMention(at)).status).toBe(200);
        await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'), 30_000);
      } finally {
        await server.stop();
      }
      const handle = await openDatabase(database.url, { max: 1 });
      try {
        expect(await handle.raw('select count(*)::int as n from deliveries', [])).toEqual([{ n: 1 }]);
      } finally {
        await handle.close();
      }
    },
    SLOW_MS * 2,
  );
});

// Keeps the assembled image's package.json honest: `npm start` is what the README says it is.
it('package.json starts dist/node.js and dist/socket.js', () => {
  const scripts = (
    JSON.parse(readFileSync(join(image.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  expect([scripts.start, scripts['start:socket'], scripts.build, scripts['build:lambda']]).toEqual([
    'node dist/node.js',
    'node dist/socket.js',
    'tsx dev/build.ts',
    'tsx dev/build.ts lambda',
  ]);
});
