import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { MAX_BODY_BYTES } from '../../src/http/delivery.js';
import { type RunningServer, startHttpServer } from '../../src/runtime/node-http.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN, httpStack, quiet } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';

// The app through a real socket: the body is read straight from node:http (Content-Length) or
// streamed (chunked), and the signature is checked with Node's HMAC.
const fake = new FakeSlack();
let server: RunningServer;
let url: string;

beforeAll(async () => {
  await fake.start();
  const database = await openDatabase('memory://');
  await migrate(database);
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(await freePort()),
  });
  server = await startHttpServer({ app, settings: app.settings({}), config, database, logger: quiet });
  url = `http://127.0.0.1:${server.port}/slack/events`;
});
afterAll(async () => {
  await server.close();
  await fake.stop();
});

/** POSTs with node:http so the framing (Content-Length or chunked) is the test's choice. */
function post(body: string, headers: Record<string, string>, chunked = false) {
  return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    if (chunked) {
      req.setHeader('transfer-encoding', 'chunked');
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
      req.end();
    } else {
      req.setHeader('content-length', Buffer.byteLength(body));
      req.end(body);
    }
  });
}

const app = linkApp();

describe('the Node server', () => {
  it('acks a signed mention sent with Content-Length, and runs its effect', async () => {
    const { body, contentType } = httpForm(fixture('event_app_mention'));
    const res = await post(body, await slackHeaders(body, contentType));
    expect(res.status).toBe(200);
    await fake.waitFor((calls) => calls.length === 1);
    expect(fake.calls[0]?.method).toBe('chat.postMessage');
  });

  it('acks a signed command sent chunked, with its ack body', async () => {
    const { body, contentType } = httpForm(fixture('command_link_unknown'));
    const res = await post(body, await slackHeaders(body, contentType), true);
    expect(res).toEqual({
      status: 200,
      json: { response_type: 'ephemeral', text: 'There is no organization with the slug `nobody`.' },
    });
  });

  it('refuses a wrong signature with 401', async () => {
    const { body, contentType } = httpForm(fixture('event_app_mention'));
    const res = await post(body, await slackHeaders(body, contentType, { secret: 'not-the-secret' }));
    expect(res).toMatchObject({ status: 401, json: { error: 'signature_mismatch' } });
  });

  it('listens on 127.0.0.1 unless HOST says otherwise', async () => {
    expect(server.host).toBe('127.0.0.1');
    const database = await openDatabase('memory://');
    await migrate(database);
    const config = loadConfig({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      PORT: String(await freePort()),
      HOST: '0.0.0.0',
    });
    const everywhere = await startHttpServer({
      app,
      settings: app.settings({}),
      config,
      database,
      logger: quiet,
    });
    try {
      expect(everywhere.host).toBe('0.0.0.0');
      const res = await fetch(`http://127.0.0.1:${everywhere.port}/healthz`);
      expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
    } finally {
      await everywhere.close();
    }
  });

  it.each([
    ['with Content-Length', false],
    ['chunked', true],
  ])('refuses a body over 1 MiB sent %s with 413', async (_label, chunked) => {
    const body = JSON.stringify({ type: 'event_callback', pad: 'x'.repeat(MAX_BODY_BYTES) });
    const res = await post(body, { 'content-type': 'application/json' }, chunked);
    expect(res).toMatchObject({ status: 413, json: { error: 'body_too_large' } });
  });
});

// The Node server answers POST /slack/events from node:http straight; the Hono route (Workers,
// Lambda, tests) from a web Request. Both call answerDelivery: the same request gets the same answer.
describe('the Node server and the Hono route', () => {
  const json = 'application/json';
  const mention = () => httpForm(fixture('event_app_mention'));
  const signed = async (body: string, contentType: string, extra: Record<string, string> = {}) => ({
    ...(await slackHeaders(body, contentType)),
    ...extra,
  });
  const cases: [string, () => Promise<{ body: string; headers: Record<string, string> }>][] = [
    ['a signed mention', async () => ({ ...mention(), headers: await signed(mention().body, json) })],
    [
      'a url_verification',
      async () => {
        const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' });
        return { body, headers: await signed(body, json) };
      },
    ],
    [
      'an ssl_check',
      async () => {
        const body = 'ssl_check=1&token=t';
        return { body, headers: await signed(body, 'application/x-www-form-urlencoded') };
      },
    ],
    [
      'a command with its ack body',
      async () => {
        const { body, contentType } = httpForm(fixture('command_link_unknown'));
        return { body, headers: await signed(body, contentType) };
      },
    ],
    [
      'a wrong signature',
      async () => ({
        body: mention().body,
        headers: await slackHeaders(mention().body, json, { secret: 'not-the-secret' }),
      }),
    ],
    ['no signature', async () => ({ body: mention().body, headers: { 'content-type': json } })],
    [
      'a stale timestamp',
      async () => ({
        body: mention().body,
        headers: await slackHeaders(mention().body, json, { timestamp: Math.floor(Date.now() / 1000) - 600 }),
      }),
    ],
    ['malformed JSON', async () => ({ body: '{"type":', headers: await signed('{"type":', json) })],
    ['a media type Slack never sends', async () => ({ body: 'x', headers: await signed('x', 'text/plain') })],
    [
      'an event callback without its event',
      async () => {
        const body = JSON.stringify({
          type: 'event_callback',
          team_id: 'T1',
          event_id: 'Ev1',
          event_time: 1,
        });
        return { body, headers: await signed(body, json) };
      },
    ],
    [
      'a body over 1 MiB',
      async () => {
        const body = JSON.stringify({ type: 'event_callback', pad: 'x'.repeat(MAX_BODY_BYTES) });
        return { body, headers: { 'content-type': json } };
      },
    ],
  ];

  it.each(cases)('give %s the same status, body and headers', async (_what, make) => {
    const { body, headers } = await make();
    const stack = await httpStack(fake);
    const viaHono = await stack.app.request('/slack/events', { method: 'POST', body, headers });
    const hono = {
      status: viaHono.status,
      headers: answerHeaders((name) => viaHono.headers.get(name)),
      text: await viaHono.text(),
    };
    const viaNode = await postRaw(body, headers);
    expect(viaNode).toEqual(hono);
    await stack.settled();
  });
});

/** The headers the app sets (node:http's own keep-alive is not one of them). */
function answerHeaders(get: (name: string) => string | null | undefined) {
  const connection = get('connection');
  return {
    'content-type': get('content-type') ?? null,
    'retry-after': get('retry-after') ?? null,
    connection: connection === 'close' ? connection : null,
  };
}

/** POSTs with Content-Length and returns the status, the app's headers and the body text as received. */
function postRaw(body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: ReturnType<typeof answerHeaders>; text: string }>(
    (resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: answerHeaders((name) => {
              const value = res.headers[name];
              return Array.isArray(value) ? value.join(', ') : value;
            }),
            text: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', reject);
      req.setHeader('content-length', Buffer.byteLength(body));
      req.end(body);
    },
  );
}
