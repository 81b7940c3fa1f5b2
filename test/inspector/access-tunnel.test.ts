import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { freePort } from '../helpers/ports.js';
import { type Spawned, spawnScript } from '../helpers/spawn.js';
import { appEnv, deliver, FORWARDED, fresh, get, post, root, SLOW_MS, started } from './as-users.js';
import { startTunnel, type Tunnel } from './tunnel.js';

// As users start it: dev:http with a tunnel (ngrok, cloudflared) to its events port. A real process,
// a real forwarding proxy, the fake Slack.
const fake = new FakeSlack();

let devHttp: Spawned;
let dev: string;
let tunnel: Tunnel;
let rewriting: Tunnel;

beforeAll(async () => {
  await fake.start();
  const port = await freePort();
  dev = `http://127.0.0.1:${port}`;
  // From a folder without .env; tsx still needs the repository's tsconfig.json for the pages' JSX.
  const env = { ...appEnv(fake, port), TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') };
  devHttp = await started(spawnScript('src/runtime/node.ts', env, fresh('dev')), 'inspector: ');
  tunnel = await startTunnel(port);
  rewriting = await startTunnel(port, { rewriteHost: true });
}, SLOW_MS);
afterAll(async () => {
  await tunnel?.close();
  await rewriting?.close();
  await devHttp?.stop();
  await fake.stop();
});

describe('npm run dev:http behind a tunnel, without INSPECTOR_TOKEN', () => {
  it('says at start that the inspector serves this machine only', () => {
    expect(devHttp.output()).toContain(
      `inspector: ${dev}/_inspect (no INSPECTOR_TOKEN: requests made on this machine only, not through a proxy or tunnel)`,
    );
  });

  it('refuses /_inspect, its events and its POSTs through the tunnel, with the public Host or a rewritten one', async () => {
    for (const entrance of [tunnel.url, rewriting.url]) {
      for (const path of ['/_inspect', '/_inspect/outbox', '/_inspect/events', '/_inspect/deliveries/r1']) {
        const res = await get(`${entrance}${path}`);
        expect([path, res.status, await res.json()]).toEqual([path, 403, FORWARDED]);
      }
      for (const path of [
        '/_inspect/outbox/retry-failed',
        '/_inspect/outbox/1/retry',
        '/_inspect/deliveries/r1/replay',
      ]) {
        const res = await post(`${entrance}${path}`, { origin: `https://${tunnel.publicHost}` });
        expect([path, res.status, await res.json()]).toEqual([path, 403, FORWARDED]);
      }
    }
    expect(devHttp.output()).toContain(
      'request refused: 403 forwarded: the request came through a proxy or tunnel',
    );
  });

  it('still takes signed deliveries through the tunnel, and runs their effects', async () => {
    fake.reset();
    const res = await deliver(tunnel.url);
    expect(res.status).toBe(200);
    await fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'), SLOW_MS);
  });

  it('opens directly on loopback, where that delivery is listed, and takes its own forms', async () => {
    const page = await get(`${dev}/_inspect`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('event:app_mention');
    const retried = await post(`${dev}/_inspect/outbox/retry-failed`, { origin: dev });
    expect([retried.status, retried.headers.get('location')]).toEqual([
      303,
      `/_inspect/outbox?notice=${encodeURIComponent('0 failed effects are pending again.')}`,
    ]);
  });

  it('refuses a rebound DNS name on loopback: its Host, and its forms', async () => {
    const port = new URL(dev).port;
    const local = `127.0.0.1:${port}`;
    expect(await raw('GET', '/_inspect', { host: `evil.example:${port}` })).toEqual({
      status: 403,
      json: {
        error: 'foreign_host',
        message:
          'its Host is not 127.0.0.1, localhost or [::1]; without INSPECTOR_TOKEN the inspector serves requests made on this machine only',
      },
    });
    expect(
      await raw('POST', '/_inspect/outbox/retry-failed', {
        host: local,
        origin: `http://evil.example:${port}`,
      }),
    ).toEqual({
      status: 403,
      json: {
        error: 'foreign_origin',
        message:
          'the form was posted from a page not on this machine; without INSPECTOR_TOKEN the inspector serves requests made on this machine only',
      },
    });
  });
});

/** A request to dev:http with exactly these headers (fetch sets its own Host). */
function raw(method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = http.request(`${dev}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'since=1h' : undefined);
  });
}
