import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { type RunningServer, startHttpServer } from '../../src/runtime/node-http.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { quiet } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';
import { spawnProcess } from '../helpers/spawn.js';
import { appEnv, buildDist, deliver, FORWARDED, get, post, SLOW_MS, started, TOKEN } from './as-users.js';
import { startTunnel, type Tunnel } from './tunnel.js';

// As users start it: `npm run build`, then `npm start` / `npm run start:socket` (plain node on dist/,
// built here by dev/build.ts into a temp folder), production by default.
const fake = new FakeSlack();
const env = (port: number, extra: Record<string, string> = {}) => appEnv(fake, port, extra);
let dist: string;

beforeAll(async () => {
  await fake.start();
  dist = await buildDist();
}, SLOW_MS);
afterAll(async () => {
  if (dist) rmSync(dist, { recursive: true, force: true });
  await fake.stop();
});

describe('the built entries (npm start, npm run start:socket): production by default', () => {
  it(
    'npm start answers 404 at /_inspect without INSPECTOR_TOKEN, on loopback, NODE_ENV=development, and takes deliveries',
    async () => {
      const port = await freePort();
      const vars = env(port, { HOST: '127.0.0.1', NODE_ENV: 'development' });
      const server = spawnProcess(process.execPath, [join(dist, 'node.js')], vars, { cwd: dist });
      try {
        await started(server, 'inspector: ');
        const base = `http://127.0.0.1:${port}`;
        for (const path of ['/_inspect', '/_inspect/outbox']) {
          const res = await get(`${base}${path}`);
          expect([res.status, await res.json()]).toEqual([
            404,
            { error: 'not_found', message: `no route for GET ${path}` },
          ]);
        }
        expect((await post(`${base}/_inspect/outbox/retry-failed`)).status).toBe(404);
        expect((await deliver(base)).status).toBe(200);
      } finally {
        await server.stop();
      }
      expect(server.output()).toContain('inspector: hidden: /_inspect answers 404 without INSPECTOR_TOKEN');
    },
    SLOW_MS,
  );

  it(
    'npm start with INSPECTOR_TOKEN: 401 without it, served with it, also through a tunnel',
    async () => {
      const port = await freePort();
      const server = spawnProcess(
        process.execPath,
        [join(dist, 'node.js')],
        env(port, { INSPECTOR_TOKEN: TOKEN }),
        { cwd: dist },
      );
      const through = await startTunnel(port);
      try {
        await started(server, 'inspector: ');
        const bearer = { authorization: `Bearer ${TOKEN}` };
        expect((await get(`http://127.0.0.1:${port}/_inspect`)).status).toBe(401);
        expect((await get(`${through.url}/_inspect`)).status).toBe(401);
        expect((await get(`http://127.0.0.1:${port}/_inspect`, bearer)).status).toBe(200);
        expect((await get(`${through.url}/_inspect`, bearer)).status).toBe(200);
        const form = await post(`${through.url}/_inspect/outbox/retry-failed`, {
          ...bearer,
          origin: `https://${through.publicHost}`,
        });
        expect(form.status).toBe(303);
      } finally {
        await through.close();
        await server.stop();
      }
      expect(server.output()).toContain(
        `inspector: http://127.0.0.1:${port}/_inspect (with INSPECTOR_TOKEN)`,
      );
      expect(server.output()).not.toContain(TOKEN);
    },
    SLOW_MS,
  );

  it(
    'npm run start:socket answers 404 on its inspector port without INSPECTOR_TOKEN',
    async () => {
      const inspectorPort = await freePort();
      const socket = spawnProcess(
        process.execPath,
        [join(dist, 'socket.js')],
        { ...env(await freePort()), SLACK_APP_TOKEN: APP_TOKEN, INSPECTOR_PORT: String(inspectorPort) },
        { cwd: dist },
      );
      try {
        await started(socket, 'inspector: ');
        const res = await get(`http://127.0.0.1:${inspectorPort}/_inspect`);
        expect([res.status, await res.json()]).toEqual([
          404,
          { error: 'not_found', message: 'no route for GET /_inspect' },
        ]);
      } finally {
        await socket.stop();
      }
      expect(socket.output()).toContain('inspector: hidden: /_inspect answers 404 without INSPECTOR_TOKEN');
    },
    SLOW_MS,
  );
});

describe('a built server with INSPECTOR_DEV=true (the same code path as npm start)', () => {
  let server: RunningServer;
  let through: Tunnel;
  beforeAll(async () => {
    const database = await openDatabase('memory://');
    await migrate(database);
    const app = linkApp(quiet);
    const config = loadConfig({ ...env(await freePort()), INSPECTOR_DEV: 'true' });
    server = await startHttpServer({
      app,
      settings: app.settings({}),
      config,
      database,
      logger: quiet,
      built: true,
    });
    through = await startTunnel(server.port);
  });
  afterAll(async () => {
    await through?.close();
    await server?.close();
  });

  it('serves the dev inspector: open on loopback without a token, refused through the tunnel', async () => {
    expect(server.inspectorAccess).toEqual({ production: false, token: undefined });
    expect((await get(`http://127.0.0.1:${server.port}/_inspect`)).status).toBe(200);
    const res = await get(`${through.url}/_inspect`);
    expect([res.status, await res.json()]).toEqual([403, FORWARDED]);
  });
});
