import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeAccess } from '../../src/inspector/access.js';
import { FORWARDING_HEADERS, notLocal } from '../../src/inspector/local-only.js';
import { refusalLog } from '../../src/log/refusals.js';
import { nodePeer } from '../../src/runtime/node-peer.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { inspectorStack } from './stack.js';

// The token-less dev inspector (dev:http, dev:socket) answers requests made on this machine only:
// tunnels and reverse proxies forward to loopback, and a rebound DNS name reaches loopback too.
const TOKEN = 'inspector-token-for-tests-0123';
const LOCAL = { host: '127.0.0.1:3000' };
const SUFFIX = '; without INSPECTOR_TOKEN the inspector serves requests made on this machine only';

const fake = new FakeSlack();
const logged: string[] = [];
const logger = {
  debug() {},
  info() {},
  warn: (message: string, fields?: Record<string, unknown>) =>
    logged.push(`${message} ${JSON.stringify(fields)}`),
  error() {},
};
let stack: Awaited<ReturnType<typeof inspectorStack>>;
beforeAll(async () => {
  await fake.start();
  stack = await inspectorStack(fake);
});
afterEach(() => {
  stack.inspector.access = nodeAccess({ HOST: '127.0.0.1' });
  stack.inspector.peer = undefined;
  stack.inspector.refused = refusalLog(logger, { windowMs: 0 });
  logged.length = 0;
});
afterAll(async () => {
  await stack.close();
  await fake.stop();
});

const answer = async (path: string, init: RequestInit = {}) => {
  const res = await stack.app.request(path, init);
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('json') ? await res.json() : null };
};
const retryFailed = (headers: Record<string, string>) =>
  answer('/_inspect/outbox/retry-failed', {
    method: 'POST',
    headers,
    body: new URLSearchParams({ since: '1h' }),
  });

describe('the dev inspector without INSPECTOR_TOKEN', () => {
  it('refuses a request that came through a proxy or tunnel: 403 forwarded, naming the header', async () => {
    stack.inspector.refused = refusalLog(logger, { windowMs: 0 });
    for (const name of FORWARDING_HEADERS) {
      expect(await answer('/_inspect', { headers: { ...LOCAL, [name]: '203.0.113.9' } })).toEqual({
        status: 403,
        body: {
          error: 'forwarded',
          message: `the request came through a proxy or tunnel (${name})${SUFFIX}`,
        },
      });
    }
    expect(await retryFailed({ ...LOCAL, 'x-forwarded-for': '203.0.113.9' })).toMatchObject({ status: 403 });
  });

  it('refuses a Host that is not a loopback name (a tunnel, or DNS rebinding): 403 foreign_host', async () => {
    for (const host of [
      'evil.example:3000',
      'localhost.evil.example',
      '127.0.0.1.nip.io:3000',
      'abc.ngrok.app',
    ]) {
      expect(await answer('/_inspect', { headers: { host } })).toEqual({
        status: 403,
        body: { error: 'foreign_host', message: `its Host is not 127.0.0.1, localhost or [::1]${SUFFIX}` },
      });
    }
    expect(
      await retryFailed({ host: 'evil.example:3000', origin: 'http://evil.example:3000' }),
    ).toMatchObject({
      status: 403,
      body: { error: 'foreign_host' },
    });
  });

  it('refuses a peer that is not loopback, where the runtime tells it: 403 foreign_peer', async () => {
    stack.inspector.peer = () => '192.0.2.7';
    expect(await answer('/_inspect', { headers: LOCAL })).toEqual({
      status: 403,
      body: { error: 'foreign_peer', message: `the request came from another machine${SUFFIX}` },
    });
    stack.inspector.peer = () => '::ffff:127.0.0.1';
    expect((await answer('/_inspect', { headers: LOCAL })).status).toBe(200);
  });

  it('refuses a form posted from a page not on this machine: 403 foreign_origin, nothing retried', async () => {
    for (const origin of ['http://evil.example:3000', 'null', 'https://localhost.evil.example']) {
      expect(await retryFailed({ ...LOCAL, origin })).toEqual({
        status: 403,
        body: {
          error: 'foreign_origin',
          message: `the form was posted from a page not on this machine${SUFFIX}`,
        },
      });
    }
    // A loopback page on another port is another origin: refused as before.
    expect(await retryFailed({ ...LOCAL, origin: 'http://localhost:5173' })).toEqual({
      status: 403,
      body: { error: 'forbidden', message: 'a form from another origin' },
    });
  });

  it('serves loopback names with any port, and forms posted from the page itself', async () => {
    for (const host of ['127.0.0.1:3000', 'localhost', 'LOCALHOST:8080', '[::1]:3000', '127.0.0.2']) {
      expect([host, (await answer('/_inspect', { headers: { host } })).status]).toEqual([host, 200]);
    }
    expect((await retryFailed({ host: 'localhost:3000', origin: 'http://localhost:3000' })).status).toBe(303);
    expect((await retryFailed({ host: '[::1]:3000', origin: 'http://[::1]:3000' })).status).toBe(303);
    expect((await retryFailed(LOCAL)).status).toBe(303); // curl sends no Origin
  });

  it('logs each refusal at warn with its reason, path and user agent, and no header values', async () => {
    stack.inspector.refused = refusalLog(logger);
    for (let i = 0; i < 3; i++) {
      await answer('/_inspect', {
        headers: {
          ...LOCAL,
          'x-forwarded-for': '203.0.113.9',
          authorization: 'Basic c2VjcmV0',
          'user-agent': 'ngrok',
        },
      });
    }
    await answer('/_inspect/outbox', { headers: { host: 'evil.example:3000', 'user-agent': 'curl/8' } });
    expect(logged).toEqual([
      `request refused: 403 forwarded: the request came through a proxy or tunnel (x-forwarded-for)${SUFFIX} {"path":"/_inspect","agent":"ngrok"}`,
      `request refused: 403 foreign_host: its Host is not 127.0.0.1, localhost or [::1]${SUFFIX} {"path":"/_inspect/outbox","agent":"curl/8"}`,
    ]);
    expect(logged.join('\n')).not.toMatch(/203\.0\.113\.9|c2VjcmV0|evil\.example/);
  });
});

describe('the inspector with INSPECTOR_TOKEN', () => {
  const bearer = { authorization: `Bearer ${TOKEN}` };
  const tunnel = { host: 'abc.ngrok.app', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };

  it('lets the token decide: a forwarded request with it is served, without it 401', async () => {
    stack.inspector.access = nodeAccess({ HOST: '127.0.0.1', INSPECTOR_TOKEN: TOKEN });
    expect((await answer('/_inspect', { headers: { ...tunnel, ...bearer } })).status).toBe(200);
    expect(await answer('/_inspect', { headers: tunnel })).toEqual({
      status: 401,
      body: { error: 'unauthorized', message: 'the inspector needs INSPECTOR_TOKEN' },
    });
  });

  it('takes a form posted from the page behind a TLS tunnel (https there, http here), and no other', async () => {
    stack.inspector.access = nodeAccess({ HOST: '127.0.0.1', INSPECTOR_TOKEN: TOKEN });
    expect((await retryFailed({ ...tunnel, ...bearer, origin: 'https://abc.ngrok.app' })).status).toBe(303);
    expect(await retryFailed({ ...tunnel, ...bearer, origin: 'https://evil.example' })).toEqual({
      status: 403,
      body: { error: 'forbidden', message: 'a form from another origin' },
    });
  });
});

describe('notLocal', () => {
  const facts = (host: string, headers: Record<string, string> = {}, method = 'GET', peer?: string) => ({
    method,
    host,
    header: (name: string) => headers[name],
    peer,
  });

  it('checks the proxy headers first, then Host, then the peer, then a POST’s Origin', () => {
    expect(notLocal(facts('evil.example', { via: '1.1 proxy' }))?.code).toBe('forwarded');
    expect(notLocal(facts('evil.example', {}, 'GET', '192.0.2.7'))?.code).toBe('foreign_host');
    expect(notLocal(facts('localhost', { origin: 'http://evil.example' }, 'POST', '192.0.2.7'))?.code).toBe(
      'foreign_peer',
    );
    expect(notLocal(facts('localhost', { origin: 'http://evil.example' }, 'POST', '::1'))?.code).toBe(
      'foreign_origin',
    );
    expect(notLocal(facts('localhost', { origin: 'http://evil.example' }, 'GET', '127.0.0.1'))).toBeNull();
  });
});

describe('nodePeer', () => {
  it('gives the TCP peer of a request served by node:http, and nothing for app.request', async () => {
    const app = new Hono().get('/', (c) => c.text(String(nodePeer(c))));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('127.0.0.1');
      expect(await (await app.request('/')).text()).toBe('undefined');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
