import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiCall, api, type Respond } from '../../src/core/action.js';
import { EffectError } from '../../src/core/errors.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { installations } from '../../src/db/schema.js';
import { decryptToken, encryptToken } from '../../src/db/token-crypto.js';
import { SlackClients } from '../../src/slack/client.js';
import { slackRunner } from '../../src/slack/execute.js';
import { keepAliveFetch } from '../../src/slack/keep-alive-fetch.js';
import { botTokens } from '../../src/slack/tokens.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const fake = new FakeSlack();
let database: DatabaseHandle;
const workspace = { teamId: 'T0001ACME', enterpriseId: null };

function runner(fallback = 'xoxb-fallback', sleeps: number[] = []) {
  return slackRunner({
    clients: new SlackClients({ slackApiUrl: fake.apiUrl, fetch: keepAliveFetch(), retries: 0 }),
    botToken: botTokens({ db: database.db, encryptionKey: KEY, fallback }),
    sleep: async (ms) => void sleeps.push(ms),
  });
}

const reaction = api('reactions.add', { channel: 'C1', timestamp: '1764100000.000100', name: 'eyes' });

const post: ApiCall = {
  type: 'api',
  method: 'chat.postMessage',
  args: { channel: 'C1', text: 'hi' },
};

async function errorOf(promise: Promise<unknown>) {
  try {
    await promise;
    return null;
  } catch (error) {
    return error instanceof EffectError
      ? { message: error.message, retryable: error.retryable, after: error.retryAfterMs }
      : String(error);
  }
}

beforeAll(async () => {
  await fake.start();
  database = await openDatabase('memory://');
  await migrate(database);
});
afterEach(async () => {
  fake.reset();
  await database.db.delete(installations);
});
afterAll(async () => {
  await database.close();
  await fake.stop();
});

describe('the Slack runner', () => {
  it('calls the method with SLACK_BOT_TOKEN when no installation is stored', async () => {
    await runner()(post, workspace);
    expect(fake.calls.map((c) => [c.method, c.token, c.args])).toEqual([
      ['chat.postMessage', 'xoxb-fallback', { channel: 'C1', text: 'hi' }],
    ]);
  });

  it('calls any Web API method @slack/web-api knows, with its arguments as built', async () => {
    await runner()(reaction, workspace);
    expect(fake.calls.map((c) => [c.method, c.args])).toEqual([
      ['reactions.add', { channel: 'C1', timestamp: '1764100000.000100', name: 'eyes' }],
    ]);
  });

  it('sends a read method its arguments as a form, as Slack reads them, and a write method JSON', async () => {
    await runner()(api('conversations.info', { channel: 'C1', include_num_members: true }), workspace);
    await runner()(reaction, workspace);
    expect(fake.calls.map((c) => [c.method, c.contentType, c.args])).toEqual([
      [
        'conversations.info',
        'application/x-www-form-urlencoded',
        { channel: 'C1', include_num_members: 'true' },
      ],
      [
        'reactions.add',
        'application/json; charset=utf-8',
        { channel: 'C1', timestamp: '1764100000.000100', name: 'eyes' },
      ],
    ]);
  });

  it("uses the workspace's installation token, decrypted, over SLACK_BOT_TOKEN", async () => {
    await database.db
      .insert(installations)
      .values({ teamId: 'T0001ACME', botToken: await encryptToken(KEY, 'xoxb-installed') });
    await runner()(post, workspace);
    expect(fake.calls[0]?.token).toBe('xoxb-installed');
  });

  it('uses an org-wide installation for a workspace of that enterprise', async () => {
    await database.db.insert(installations).values({
      enterpriseId: 'E1',
      isEnterpriseInstall: true,
      botToken: await encryptToken(KEY, 'xoxb-org'),
    });
    await runner()(post, { teamId: 'T9', enterpriseId: 'E1' });
    expect(fake.calls[0]?.token).toBe('xoxb-org');
  });

  it('fails for good without any token', async () => {
    expect(await errorOf(runner('')(post, workspace))).toEqual({
      message: 'no bot token for team T0001ACME: install the app or set SLACK_BOT_TOKEN',
      retryable: false,
      after: undefined,
    });
  });

  it('fails channel_not_found for good, and internal_error for another try', async () => {
    fake.on('chat.postMessage', (_c, nth) => ({
      body: { ok: false, error: nth === 1 ? 'channel_not_found' : 'internal_error' },
    }));
    expect(await errorOf(runner()(post, workspace))).toMatchObject({
      message: 'channel_not_found',
      retryable: false,
    });
    expect(await errorOf(runner()(post, workspace))).toMatchObject({
      message: 'internal_error',
      retryable: true,
    });
  });

  it('waits out a short rate limit in place, and hands a long one back to the outbox', async () => {
    const sleeps: number[] = [];
    fake.on('chat.postMessage', (_c, nth) =>
      nth === 1 ? { status: 429, headers: { 'retry-after': '2' } } : undefined,
    );
    await runner('xoxb-fallback', sleeps)(post, workspace);
    expect([sleeps, fake.callsOf('chat.postMessage').length]).toEqual([[2000], 1]);
    fake.reset();
    fake.on('chat.postMessage', () => ({ status: 429, headers: { 'retry-after': '30' } }));
    expect(await errorOf(runner()(post, workspace))).toMatchObject({ retryable: true, after: 30_000 });
  });

  it('posts a respond effect as JSON to the response_url', async () => {
    await runner()(
      { type: 'respond', url: fake.responseUrl('abc'), body: { text: 'done', response_type: 'ephemeral' } },
      workspace,
    );
    expect(fake.calls).toMatchObject([
      { method: 'respond:abc', token: null, args: { text: 'done', response_type: 'ephemeral' } },
    ]);
  });

  it('gives up on an expired response_url and retries one that failed on the server', async () => {
    fake.on('respond:gone', () => ({ status: 404, body: 'expired_url' }));
    fake.on('respond:busy', () => ({ status: 503, body: 'busy' }));
    const respond = (id: string): Respond => ({
      type: 'respond',
      url: fake.responseUrl(id),
      body: { text: 'x' },
    });
    expect(await errorOf(runner()(respond('gone'), workspace))).toMatchObject({
      message: 'response_url answered 404',
      retryable: false,
    });
    expect(await errorOf(runner()(respond('busy'), workspace))).toMatchObject({
      message: 'response_url answered 503',
      retryable: true,
    });
  });
});

describe('bot tokens', () => {
  it('are looked up once a minute per workspace, and again after clear() (an uninstall)', async () => {
    const tokens = botTokens({ db: database.db, encryptionKey: KEY, fallback: 'xoxb-fallback' });
    expect(await tokens(workspace)).toBe('xoxb-fallback');
    await database.db
      .insert(installations)
      .values({ teamId: 'T0001ACME', botToken: await encryptToken(KEY, 'xoxb-new') });
    expect(await tokens(workspace)).toBe('xoxb-fallback');
    tokens.clear();
    expect(await tokens(workspace)).toBe('xoxb-new');
  });
});

describe('token encryption', () => {
  it('round-trips, and refuses another key or an altered value', async () => {
    const sealed = await encryptToken(KEY, 'xoxb-secret');
    expect(sealed).not.toContain('xoxb');
    expect(await decryptToken(KEY, sealed)).toBe('xoxb-secret');
    await expect(decryptToken(Buffer.alloc(32, 8).toString('base64'), sealed)).rejects.toThrow();
    await expect(decryptToken(KEY, `${sealed.slice(0, -4)}AAAA`)).rejects.toThrow();
    await expect(decryptToken(KEY, 'plain')).rejects.toThrow('stored token is not in the v1 format');
  });
});
