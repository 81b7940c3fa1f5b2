/// <reference types="@cloudflare/vitest-pool-workers/types" />
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import { installations } from '../../src/db/schema.js';
import { decryptToken } from '../../src/db/token-crypto.js';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const bindings: WorkerEnv = {
  ...(env as unknown as WorkerEnv),
  SLACK_CLIENT_ID: '1111.2222',
  SLACK_CLIENT_SECRET: 'client-secret-not-real-0123456789',
  TOKEN_ENCRYPTION_KEY: KEY,
  // A fake Slack of its own: the one in the bindings counts the calls worker.test.ts expects.
  SLACK_API_URL: inject('oauthSlackUrl'),
};

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://router.example${path}`, { headers }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe('the OAuth install routes, in workerd', () => {
  const database = String(bindings.DATABASE_URL ?? '');

  it('serves the install page: authorize URL on the fake Slack, state cookie set', async () => {
    const page = await get('/slack/install?redirect=1');
    expect(page.status).toBe(302);
    const authorize = new URL(page.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(
      `${new URL(inject('oauthSlackUrl')).origin}/oauth/v2/authorize`,
    );
    expect(authorize.searchParams.get('client_id')).toBe('1111.2222');
    expect(page.headers.get('set-cookie')).toMatch(
      /^slack_oauth_state=[\w-]{22}; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it.skipIf(!database)(
    'installs: code exchanged, the row stored encrypted, the success page shown',
    async () => {
      const page = await get('/slack/install?redirect=1');
      const state = new URL(page.headers.get('location') ?? '').searchParams.get('state') ?? '';
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const done = await get(
        `/slack/oauth_redirect?${new URLSearchParams({ code: 'code-workerd', state })}`,
        { cookie },
      );
      expect([done.status, /<p>([^<]+)<\/p>/.exec(await done.text())?.[1]]).toEqual([
        200,
        'The app is installed in Workerd Team.',
      ]);
      const again = await get(
        `/slack/oauth_redirect?${new URLSearchParams({ code: 'code-workerd', state })}`,
        { cookie },
      );
      expect(again.status).toBe(400);

      const target = parseDatabaseUrl(database);
      if (target.driver !== 'postgres') throw new Error('expected PostgreSQL');
      const handle = await openPostgres(target.url, target, { max: 1, probe: false });
      try {
        const [row] = await handle.db
          .select()
          .from(installations)
          .where(eq(installations.teamId, 'T0WORKERD'));
        expect(await decryptToken(KEY, row?.botToken ?? '')).toBe('xoxb-workerd-installed');
      } finally {
        await handle.close();
      }
    },
  );
});
