import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channelLinks } from '../../src/app/store/schema.js';
import { openDatabase } from '../../src/db/open.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN, httpStack } from '../helpers/http-stack.js';

const fake = new FakeSlack();
let stack: Awaited<ReturnType<typeof httpStack>>;

beforeAll(async () => {
  await fake.start();
  stack = await httpStack(fake);
});
afterEach(async () => {
  await stack.settled();
  fake.reset();
});
afterAll(async () => {
  await stack.database.close();
  await fake.stop();
});

async function post(body: string, contentType: string, overrides: Parameters<typeof slackHeaders>[2] = {}) {
  return stack.app.request('/slack/events', {
    method: 'POST',
    body,
    headers: await slackHeaders(body, contentType, overrides),
  });
}

describe('POST /slack/events', () => {
  it('answers url_verification with the challenge', async () => {
    const res = await post(
      JSON.stringify({ token: 'x', challenge: 'c-42', type: 'url_verification' }),
      'application/json',
    );
    expect([res.status, await res.json()]).toEqual([200, { challenge: 'c-42' }]);
  });

  it('answers ssl_check with 200', async () => {
    const res = await post('ssl_check=1&token=x', 'application/x-www-form-urlencoded');
    expect([res.status, await res.text()]).toEqual([200, '']);
  });

  it('acks a mention first, then calls chat.postMessage with the bot token', async () => {
    const res = await stack.deliver(fixture('event_app_mention'));
    expect([res.status, await res.text()]).toEqual([200, '']);
    await fake.waitFor((calls) => calls.length === 1);
    const [call] = fake.calls;
    expect(call?.method).toBe('chat.postMessage');
    expect(call?.token).toBe(BOT_TOKEN);
    expect(call?.args).toMatchObject({ channel: 'C0CHAN001', thread_ts: '1764100000.000100' });
    expect(String(call?.args.text)).toContain('not linked');
  });

  it('acks a slash command with its body and applies its store write after', async () => {
    const res = await stack.deliver(fixture('command_link'));
    expect([res.status, await res.json()]).toEqual([
      200,
      {
        response_type: 'in_channel',
        text: '<@U0USER001> linked this channel to <https://app.example.com/orgs/acme|Acme Corp>.',
      },
    ]);
    await stack.settled();
    const links = await stack.database.db.select().from(channelLinks);
    expect(links.map((l) => [l.teamId, l.channelId, l.linkedBy])).toEqual([
      ['T0001ACME', 'C0CHAN001', 'U0USER001'],
    ]);
  });

  it('answers block_suggestion with options and view_submission with its response_action', async () => {
    const options = await stack.deliver(fixture('block_suggestion_org_picker'));
    expect(await options.json()).toEqual({
      options: [{ text: { type: 'plain_text', text: 'Acme Corp (acme)' }, value: 'acme' }],
    });
    const submit = await stack.deliver(fixture('view_submission_link_unknown'));
    expect(await submit.json()).toEqual({
      response_action: 'errors',
      errors: { org: 'There is no organization with the slug "gone".' },
    });
  });

  it('acks a retry of a known delivery and does nothing again', async () => {
    await stack.deliver(fixture('event_app_home_opened'));
    await stack.settled();
    const retry = await stack.deliver(fixture('event_app_home_opened'), {
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(retry.status).toBe(200);
    await stack.settled();
    expect(fake.callsOf('views.publish')).toHaveLength(1);
  });

  it('does not hold the ack for a Web API call that takes 5 s', async () => {
    fake.on('chat.postMessage', () => ({ delayMs: 5_000 }));
    const res = await stack.deliver(fixture('event_app_mention_in_thread'));
    expect(res.status).toBe(200);
    expect(fake.calls).toEqual([]); // the ack came back while the call was still in flight
    await fake.waitFor((calls) => calls.length === 1, 10_000);
  });

  it('delivers exactly one call when Slack rate-limits twice', async () => {
    fake.on('views.publish', (_call, nth) =>
      nth <= 2 ? { status: 429, headers: { 'retry-after': '1' }, body: { ok: false } } : undefined,
    );
    const f = fixture('event_app_home_opened');
    await stack.deliver({ ...f, payload: { ...f.payload, event_id: 'Ev0RATELIMIT' } });
    await stack.settled();
    expect(fake.callsOf('views.publish')).toHaveLength(1);
  });
});

describe('what a client gets wrong', () => {
  const mention = httpForm(fixture('event_app_mention'));

  it.each([
    ['no signature', { headers: { 'x-slack-signature': '' } }, 'missing_signature'],
    ['no timestamp', { headers: { 'x-slack-request-timestamp': '' } }, 'missing_timestamp'],
    ['a wrong signature', { secret: 'another-secret' }, 'signature_mismatch'],
    ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 301 }, 'stale_timestamp'],
    ['a timestamp from the future', { timestamp: Math.floor(Date.now() / 1000) + 400 }, 'stale_timestamp'],
  ])('%s is a 401 with its reason', async (_label, overrides, code) => {
    const res = await post(mention.body, mention.contentType, overrides);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: code });
    expect(fake.calls).toEqual([]);
  });

  it('a malformed body is a 400', async () => {
    const res = await post('{"type":"event_callback",', 'application/json');
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: 'malformed_json', message: 'body is not valid JSON' },
    ]);
  });

  it('a payload that does not fit is a 400 naming the field', async () => {
    const res = await post(JSON.stringify({ type: 'event_callback', team_id: 'T1' }), 'application/json');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_payload',
      message: expect.stringMatching(/^event callback: event_id/),
    });
  });

  it('a content type Slack never sends is a 415', async () => {
    expect((await post('<a/>', 'text/xml')).status).toBe(415);
  });

  it('a body over 1 MiB is a 413, before any crypto', async () => {
    const body = JSON.stringify({ type: 'event_callback', pad: 'x'.repeat(1024 * 1024) });
    const res = await stack.app.request('/slack/events', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect([res.status, (await res.json()).error]).toEqual([413, 'body_too_large']);
  });

  it('another method is a 405, another path a 404, all in JSON', async () => {
    const get = await stack.app.request('/slack/events');
    expect([get.status, get.headers.get('allow'), (await get.json()).error]).toEqual([
      405,
      'POST',
      'method_not_allowed',
    ]);
    const nope = await stack.app.request('/nope');
    expect([nope.status, await nope.json()]).toEqual([
      404,
      { error: 'not_found', message: 'no route for GET /nope' },
    ]);
  });
});

describe('when the database is down', () => {
  it('answers 503 so Slack retries, and /healthz says so', async () => {
    const down = await openDatabase('memory://');
    await down.close();
    const broken = await httpStack(fake, { database: down });
    const res = await broken.deliver(fixture('event_app_mention'));
    expect([res.status, (await res.json()).error, res.headers.get('retry-after')]).toEqual([
      503,
      'store_unavailable',
      '1',
    ]);
    const health = await broken.app.request('/healthz');
    expect([health.status, await health.json()]).toEqual([
      503,
      {
        status: 'unavailable',
        ready: false,
        version: 'test',
        database: 'unreachable',
        reason: expect.stringMatching(/^the database does not answer: /),
      },
    ]);
    expect(fake.calls).toEqual([]);
  });

  it('/healthz answers ok when it is up', async () => {
    expect(await (await stack.app.request('/healthz')).json()).toEqual({
      status: 'ok',
      ready: true,
      version: 'test',
      database: 'ok',
    });
  });
});
