/// <reference types="@cloudflare/vitest-pool-workers/types" />
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';

const bindings = env as unknown as WorkerEnv;
const TOKEN = 'inspector-token-for-workerd-tests';

async function get(path: string, vars: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://router.example${path}`, { headers }),
    { ...bindings, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe('the inspector on Workers, in workerd', () => {
  it('is not there without INSPECTOR_TOKEN: 404', async () => {
    for (const path of ['/_inspect', '/_inspect/outbox']) {
      const res = await get(path);
      expect([res.status, await res.json()]).toEqual([
        404,
        { error: 'not_found', message: `no route for GET ${path}` },
      ]);
    }
  });

  it('answers 401 without the token, or with a wrong one, when INSPECTOR_TOKEN is set', async () => {
    const bare = await get('/_inspect', { INSPECTOR_TOKEN: TOKEN });
    expect([bare.status, bare.headers.get('www-authenticate')]).toEqual([
      401,
      'Basic realm="inspector", charset="UTF-8"',
    ]);
    const wrong = await get('/_inspect', { INSPECTOR_TOKEN: TOKEN }, { authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
  });

  const database = String(bindings.DATABASE_URL ?? '');
  if (!database)
    console.info('skipped "serves the page with the token": the Worker needs PostgreSQL (TEST_DATABASE_URL)');
  it.skipIf(!database)('serves the page with the token', async () => {
    const res = await get('/_inspect', { INSPECTOR_TOKEN: TOKEN }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<span data-testid="mode">HTTP</span>');
  });
});
