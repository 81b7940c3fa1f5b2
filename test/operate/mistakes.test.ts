/**
 * Every everyday mistake answered in one line, as a person meets it: our commands spawned as
 * `npm run dev`, `dev:http` and `dev:socket` would run them, each line checked exactly, no stack trace.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ENV_FILE } from '../../src/runtime/cli.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { type Spawned, spawnScript } from '../helpers/spawn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const STACK_FRAME = /^\s+at /m;
/** A log line's `12:00:01.234 ` prefix. */
const TIME = /^\d\d:\d\d:\d\d\.\d{3} /;
const SLOW_MS = 180_000; // the machine is shared: a start-up can take a minute under load

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `operate-${prefix}-`));
/** The lines a process printed, without their time prefix. */
const lines = (run: Spawned) =>
  run
    .output()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(TIME, ''));

/** A port something else already listens on. */
async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (free a moment ago). */
async function freePort(): Promise<number> {
  const busy = await busyPort();
  await busy.close();
  return busy.port;
}

const httpEnv = (port: number, extra: Record<string, string> = {}) => ({
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
  DATABASE_URL: 'memory://',
  PORT: String(port),
  ...extra,
});

async function refusedToStart(script: string, env: Record<string, string>, cwd = temp('start')) {
  const run = spawnScript(script, env, cwd);
  const code = await run.exited;
  expect(run.output()).not.toMatch(STACK_FRAME);
  return { code, lines: lines(run) };
}

describe('a start-up mistake is one line and exit 1', () => {
  it(
    'names a busy port and how to pick another',
    async () => {
      const busy = await busyPort();
      try {
        expect(await refusedToStart('src/runtime/node.ts', httpEnv(busy.port))).toEqual({
          code: 1,
          lines: [
            `error: port ${busy.port} is in use on 127.0.0.1 (another dev:http?): stop that process, or pick another port with PORT=${busy.port + 1}`,
          ],
        });
      } finally {
        await busy.close();
      }
    },
    SLOW_MS,
  );

  it(
    'names a HOST that is not a name of this machine',
    async () => {
      const port = await freePort();
      const result = await refusedToStart(
        'src/runtime/node.ts',
        httpEnv(port, { HOST: 'no-such-host.invalid' }),
      );
      expect(result).toEqual({
        code: 1,
        lines: [
          'error: HOST=no-such-host.invalid is not a name this machine can resolve: set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, e.g. in a container)',
        ],
      });
    },
    SLOW_MS,
  );

  it(
    'names a HOST that is not an address of this machine',
    async () => {
      const port = await freePort();
      const result = await refusedToStart('src/runtime/node.ts', httpEnv(port, { HOST: '192.0.2.1' }));
      expect(result).toEqual({
        code: 1,
        lines: [
          'error: HOST=192.0.2.1 is not an address of this machine: set HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, e.g. in a container)',
        ],
      });
    },
    SLOW_MS,
  );

  it.each([
    ['npm run dev', 'dev/dev.ts', {}, 'SLACK_SIGNING_SECRET'],
    ['npm run dev:http', 'src/runtime/node.ts', {}, 'SLACK_SIGNING_SECRET'],
    ['npm run dev:socket', 'src/runtime/socket.ts', {}, 'SLACK_APP_TOKEN'],
    [
      'npm run dev:socket configured through its environment',
      'src/runtime/socket.ts',
      { SLACK_BOT_TOKEN: 'xoxb-fake', SLACK_SIGNING_SECRET: 'fake-secret' },
      'SLACK_APP_TOKEN',
    ],
  ])(
    '%s without .env names the missing variable first, then says to copy .env.example',
    async (_name, script, env: Record<string, string>, variable) => {
      const clone = temp('clone');
      copyFileSync(join(root, '.env.example'), join(clone, '.env.example'));
      const result = await refusedToStart(script, env, clone);
      expect(result.code).toBe(1);
      expect(result.lines).toHaveLength(1);
      expect(result.lines[0]).toMatch(new RegExp(`^error: ${variable} is required: [^;]+; `));
      expect(result.lines[0]?.endsWith(`; ${NO_ENV_FILE}`)).toBe(true);
      expect(NO_ENV_FILE).toBe(
        'no .env: cp .env.example .env, then fill it in; SLACK_SOCKET_MODE=true runs on a laptop without a public URL',
      );
    },
    SLOW_MS,
  );

  it(
    'dev:http without a bot token, an installation or OAuth refuses to start',
    async () => {
      const port = await freePort();
      const env: Record<string, string> = httpEnv(port);
      delete env.SLACK_BOT_TOKEN;
      expect(await refusedToStart('src/runtime/node.ts', env)).toEqual({
        code: 1,
        lines: [
          'error: SLACK_BOT_TOKEN is required (no installation is stored, and SLACK_CLIENT_ID is unset so none can be made): install the app to your workspace and copy OAuth & Permissions → Bot User OAuth Token (xoxb-…)',
        ],
      });
    },
    SLOW_MS,
  );

  it(
    'dev:http without a bot token starts when OAuth is configured (installs will bring tokens)',
    async () => {
      const port = await freePort();
      const env: Record<string, string> = httpEnv(port, {
        SLACK_CLIENT_ID: '1000.2000',
        SLACK_CLIENT_SECRET: 'client-secret-not-real',
        TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      });
      delete env.SLACK_BOT_TOKEN;
      const run = spawnScript('src/runtime/node.ts', env, temp('oauth'));
      try {
        await run.waitFor('listening on', SLOW_MS);
        expect(lines(run)[0]).toMatch(
          /^listening on http:\/\/127\.0\.0\.1:\d+\/slack\/events database="pglite memory"$/,
        );
      } finally {
        run.child.kill('SIGTERM');
        await run.exited;
      }
    },
    SLOW_MS,
  );
});

describe('a running dev:http', () => {
  let run: Spawned;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    run = spawnScript('src/runtime/node.ts', httpEnv(port), temp('http'));
    await run.waitFor('listening on', SLOW_MS);
  }, SLOW_MS);
  afterAll(async () => {
    run.child.kill('SIGTERM');
    await run.exited;
  });

  /** The `refused` lines logged after `from` lines were there, once `count` of them have come. */
  async function newLines(from: number, count: number): Promise<string[]> {
    const refused = () =>
      lines(run)
        .slice(from)
        .filter((line) => line.includes('refused'));
    for (let waited = 0; refused().length < count && waited < 10_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return refused();
  }

  it(
    'logs a refused signature once at warn with the path and user agent, never the body',
    async () => {
      const { body, contentType } = httpForm(fixture('event_app_mention'));
      const headers = await slackHeaders(body, contentType, {
        secret: 'not-the-signing-secret',
        headers: { 'user-agent': 'curl/8.5.0' },
      });
      const before = lines(run).length;
      const answers: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body, headers });
        answers.push(res.status);
      }
      expect(answers).toEqual([401, 401, 401]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await newLines(before, 1)).toEqual([
        'WARN request refused: 401 signature_mismatch: X-Slack-Signature does not match the body path=/slack/events agent=curl/8.5.0',
      ]);
      expect(run.output()).not.toContain('U0USER001');
    },
    SLOW_MS,
  );

  it(
    'answers 400 to a body shorter than its Content-Length once it times out, and logs it',
    async () => {
      const before = lines(run).length;
      const started = Date.now();
      const response = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString('utf8');
        });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        socket.write(
          'POST /slack/events HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\nuser-agent: half-a-body/1.0\r\n\r\n{"type":',
        );
      });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(4_900);
      expect(response.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      const [head = '', rest = ''] = response.split('\r\n\r\n');
      const headers = head.split('\r\n');
      expect(headers).toContain('connection: close');
      // With a Content-Length the body as it is; chunked: size, data, …, 0
      const body = headers.some((h) => h.toLowerCase().startsWith('content-length:'))
        ? rest
        : rest
            .split('\r\n')
            .filter((_, i) => i % 2 === 1)
            .join('');
      expect(body).toBe(
        '{"error":"body_timeout","message":"the body did not arrive in full within 5 s (shorter than its Content-Length?)"}',
      );
      expect(await newLines(before, 1)).toEqual([
        'WARN request refused: 400 body_timeout: the body did not arrive in full within 5 s (shorter than its Content-Length?) path=/slack/events agent=half-a-body/1.0',
      ]);
    },
    SLOW_MS,
  );
});
