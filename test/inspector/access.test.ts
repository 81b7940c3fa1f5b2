import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/settings.js';
import { decide, nodeAccess } from '../../src/inspector/access.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { inspectorStack } from './stack.js';

const TOKEN = 'inspector-token-for-tests-0123';
const fake = new FakeSlack();
let stack: Awaited<ReturnType<typeof inspectorStack>>;
beforeAll(async () => {
  await fake.start();
  // NODE_ENV=production, as `npm start` runs: the inspector's access follows from the settings.
  stack = await inspectorStack(fake, { env: { NODE_ENV: 'production' } });
});
afterAll(async () => {
  await stack.close();
  await fake.stop();
});

describe('who may open /_inspect', () => {
  it('is open on loopback in development, production elsewhere', () => {
    expect(nodeAccess({ HOST: '127.0.0.1' })).toEqual({ production: false, token: undefined });
    expect(nodeAccess({ HOST: '::1' }).production).toBe(false);
    expect(nodeAccess({ HOST: '0.0.0.0' }).production).toBe(true);
    expect(nodeAccess({ HOST: '127.0.0.1', NODE_ENV: 'production' }).production).toBe(true);
  });

  it('is production in a built entry (npm start) whatever HOST and NODE_ENV say, unless INSPECTOR_DEV=true', () => {
    const built = true;
    expect(nodeAccess({ HOST: '127.0.0.1' }, built).production).toBe(true);
    expect(nodeAccess({ HOST: '127.0.0.1', NODE_ENV: 'development' }, built).production).toBe(true);
    expect(nodeAccess({ HOST: '127.0.0.1', INSPECTOR_DEV: true }, built).production).toBe(false);
    // INSPECTOR_DEV opens the dev inspector, whose rules stay: loopback, not NODE_ENV=production.
    expect(nodeAccess({ HOST: '0.0.0.0', INSPECTOR_DEV: true }, built).production).toBe(true);
    expect(
      nodeAccess({ HOST: '127.0.0.1', NODE_ENV: 'production', INSPECTOR_DEV: true }, built).production,
    ).toBe(true);
    // And INSPECTOR_DEV=false hides it in development too.
    expect(nodeAccess({ HOST: '127.0.0.1', INSPECTOR_DEV: false }).production).toBe(true);
  });

  it('reads INSPECTOR_DEV as a boolean setting', () => {
    expect(loadConfig({}).INSPECTOR_DEV).toBeUndefined();
    expect(loadConfig({ INSPECTOR_DEV: 'true' }).INSPECTOR_DEV).toBe(true);
    expect(loadConfig({ INSPECTOR_DEV: '0' }).INSPECTOR_DEV).toBe(false);
    expect(() => loadConfig({ INSPECTOR_DEV: 'yes' })).toThrow(
      'INSPECTOR_DEV is invalid (Invalid option: expected one of "0"|"1"|"true"|"false"): true or false (true: /_inspect without a token for requests made on this machine, also from npm start; unset: true under dev:http and dev:socket, false from dist/)',
    );
  });

  it('takes the token as a bearer token or a basic auth password, and nothing else', async () => {
    const access = { production: true, token: TOKEN };
    expect(await decide(access, `Bearer ${TOKEN}`)).toBe('open');
    expect(await decide(access, `Basic ${btoa(`anyone:${TOKEN}`)}`)).toBe('open');
    expect(await decide(access, `Bearer ${TOKEN}x`)).toBe('unauthorized');
    expect(await decide(access, `Basic ${btoa(`${TOKEN}:`)}`)).toBe('unauthorized');
    expect(await decide(access, undefined)).toBe('unauthorized');
    expect(await decide({ production: true }, `Bearer ${TOKEN}`)).toBe('hidden');
    expect(await decide({ production: false }, undefined)).toBe('local');
  });

  it('answers 404 in production without INSPECTOR_TOKEN, on Node', async () => {
    expect(stack.inspector.access).toEqual({ production: true, token: undefined });
    for (const path of ['/_inspect', '/_inspect/outbox', '/_inspect/events']) {
      const res = await stack.app.request(path);
      expect([path, res.status, await res.json()]).toEqual([
        path,
        404,
        { error: 'not_found', message: `no route for GET ${path}` },
      ]);
    }
    expect((await stack.app.request('/_inspect/outbox/retry-failed', { method: 'POST' })).status).toBe(404);
  });

  it('answers 401 without the token and 200 with it, when INSPECTOR_TOKEN is set, on Node', async () => {
    stack.inspector.access = nodeAccess({
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      INSPECTOR_TOKEN: TOKEN,
    });
    {
      const bare = await stack.app.request('/_inspect');
      expect([bare.status, bare.headers.get('www-authenticate'), await bare.json()]).toEqual([
        401,
        'Basic realm="inspector", charset="UTF-8"',
        { error: 'unauthorized', message: 'the inspector needs INSPECTOR_TOKEN' },
      ]);
      const wrong = await stack.app.request('/_inspect', { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const good = await stack.app.request('/_inspect', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(good.status).toBe(200);
      expect(await good.text()).toContain('<h1><a href="/_inspect">Deliveries</a></h1>');
    }
  });
});
