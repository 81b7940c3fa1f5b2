/// <reference types="@cloudflare/vitest-pool-workers/types" />
import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api } from '../../src/core/action.js';
import { normalizeHttp } from '../../src/core/normalize.js';
import { parseDatabaseUrl } from '../../src/db/database.js';
import { openPostgres } from '../../src/db/postgres.js';
import { recordDelivery } from '../../src/db/record.js';
import { signSlackRequest } from '../../src/http/verify-signature.js';
import worker, { type WorkerEnv } from '../../src/runtime/worker.js';
import mention from '../fixtures/slack/event_app_mention.json';
import reaction from '../fixtures/slack/event_reaction_added.json';

const bindings = env as unknown as WorkerEnv;
const SECRET = 'test-signing-secret-not-real';

async function deliver(body: string, secret = SECRET, on: WorkerEnv = bindings): Promise<Response> {
  const timestamp = Math.floor(Date.now() / 1000);
  const request = new Request('https://router.example/slack/events', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': await signSlackRequest(secret, timestamp, body),
    },
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, on, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Mention `i`: its own event id and ts (the ts is the reply's thread). */
function mentionBody(i: number): { body: string; ts: string } {
  const ts = `1764500000.${String(i).padStart(6, '0')}`;
  const payload = { ...mention.payload, event_id: `EvWORKERD${i}`, event: { ...mention.payload.event, ts } };
  return { body: JSON.stringify(payload), ts };
}

/** The threads the fake Slack has posted replies in. */
async function repliedThreads(): Promise<unknown[]> {
  const calls = (await (await fetch(`${bindings.FAKE_SLACK_URL}/_calls`)).json()) as {
    method: string;
    args: Record<string, unknown>;
  }[];
  return calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.args.thread_ts);
}

describe('the Worker, in workerd', () => {
  it('answers url_verification', async () => {
    const res = await deliver(
      JSON.stringify({ type: 'url_verification', challenge: 'from-workerd', token: 'x' }),
    );
    expect([res.status, await res.json()]).toEqual([200, { challenge: 'from-workerd' }]);
  });

  it('refuses a bad signature with 401', async () => {
    const res = await deliver(JSON.stringify(mention.payload), 'not-the-secret');
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([
      401,
      'signature_mismatch',
    ]);
  });

  const database = String(bindings.DATABASE_URL ?? '');
  if (!database)
    console.info(
      'skipped 2 Worker tests (a signed mention, the cron drain): TEST_DATABASE_URL is not set and the Worker needs PostgreSQL',
    );
  it.skipIf(!database)('acks a signed mention, then its chat.postMessage reaches Slack', async () => {
    const res = await deliver(JSON.stringify(mention.payload));
    expect([res.status, await res.text()]).toEqual([200, '']);
    const calls = (await (await fetch(`${bindings.FAKE_SLACK_URL}/_calls`)).json()) as {
      method: string;
      token: string;
      args: Record<string, unknown>;
    }[];
    expect(calls.map((c) => [c.method, c.token, c.args.channel, c.args.thread_ts])).toEqual([
      ['chat.postMessage', 'xoxb-test-bot-token', 'C0CHAN001', '1764100000.000100'],
    ]);
  });

  it.skipIf(!database)(
    'acks concurrent mentions, each on its own connection, and posts each reply',
    async () => {
      const mentions = [1, 2, 3, 4, 5].map(mentionBody);
      const answers = await Promise.all(mentions.map(({ body }) => deliver(body)));
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await repliedThreads()).toEqual(expect.arrayContaining(mentions.map((m) => m.ts)));
    },
  );

  it.skipIf(!database)('acks a mention through a Hyperdrive binding', async () => {
    const { DATABASE_URL: _direct, ...rest } = bindings;
    const { body, ts } = mentionBody(6);
    const res = await deliver(body, SECRET, { ...rest, HYPERDRIVE: { connectionString: database } });
    expect([res.status, await res.text()]).toEqual([200, '']);
    expect(await repliedThreads()).toContain(ts);
  });

  it.skipIf(!database)('sends statement_timeout at start-up unless told not to (a pooler)', async () => {
    const target = parseDatabaseUrl(database);
    if (target.driver !== 'postgres') throw new Error('expected PostgreSQL');
    const timeoutOf = async (statementTimeoutMs?: number | null) => {
      const handle = await openPostgres(target.url, target, { max: 1, probe: false, statementTimeoutMs });
      const [row] = (await handle.raw('show statement_timeout', [])) as { statement_timeout: string }[];
      await handle.close();
      return row?.statement_timeout;
    };
    expect([await timeoutOf(), await timeoutOf(1_500), await timeoutOf(null)]).toEqual(['5s', '1500ms', '0']);
  });

  it.skipIf(!database)('runs what was left pending on its Cron Trigger', async () => {
    const target = parseDatabaseUrl(database);
    if (target.driver !== 'postgres') throw new Error('expected PostgreSQL');
    const handle = await openPostgres(target.url, target, { max: 1, probe: false });
    const normalized = normalizeHttp({
      body: JSON.stringify(reaction.payload),
      contentType: 'application/json',
    });
    if (!normalized.ok || normalized.value.type !== 'event') throw new Error('fixture did not normalize');
    const event = { ...normalized.value.event, deliveryId: `cron-left-over-${Date.now()}` };
    await recordDelivery(
      handle.raw,
      event,
      [api('chat.postMessage', { channel: 'C0CRON', text: 'left over' })],
      new Date(),
    );
    await handle.close();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController(), bindings, ctx);
    await waitOnExecutionContext(ctx);
    const calls = (await (await fetch(`${bindings.FAKE_SLACK_URL}/_calls`)).json()) as {
      args: Record<string, unknown>;
    }[];
    expect(calls.map((c) => c.args.channel)).toContain('C0CRON');
  });

  it.skipIf(!database)(
    'runs a whole conversation within the request: post, task, and the update of that post',
    async () => {
      const target = parseDatabaseUrl(database);
      if (target.driver !== 'postgres') throw new Error('expected PostgreSQL');
      const handle = await openPostgres(target.url, target, { max: 1, probe: false });
      await handle.raw(
        "insert into channel_links (team_id, channel_id, organization_id, linked_by) select 'T0001ACME', 'C0WRKFLOW', id, 'U0USER001' from organizations where slug = 'acme' on conflict do nothing",
        [],
      );
      await handle.close();
      const ts = '1764600000.000001';
      const payload = {
        ...mention.payload,
        event_id: 'EvWORKFLOW1',
        event: { ...mention.payload.event, channel: 'C0WRKFLOW', ts },
      };
      const withProduct = { ...bindings, PRODUCT_API_URL: bindings.PRODUCT_API_URL_FOR_TESTS };
      const res = await deliver(JSON.stringify(payload), SECRET, withProduct);
      expect(res.status).toBe(200);
      const calls = (await (await fetch(`${bindings.FAKE_SLACK_URL}/_calls`)).json()) as {
        method: string;
        args: Record<string, unknown>;
      }[];
      const flow = calls.filter((c) => c.args.channel === 'C0WRKFLOW');
      expect(flow.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
      expect(String(flow[1]?.args.text)).toMatch(/: answered in workerd$/);
    },
  );
});
