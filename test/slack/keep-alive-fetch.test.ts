import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebAPIPlatformError, WebAPIRequestError } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SlackClients } from '../../src/slack/client.js';
import { keepAliveFetch } from '../../src/slack/keep-alive-fetch.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';

const fake = new FakeSlack();

beforeAll(() => fake.start());
afterEach(() => fake.reset());
afterAll(() => fake.stop());

const post = (body: object) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-1' },
  body: JSON.stringify(body),
});

describe('keepAliveFetch', () => {
  it('posts JSON and reads the status, the headers and the body', async () => {
    fake.on('chat.update', () => ({ headers: { 'X-Slack-Req-Id': 'r1' }, body: { ok: false, error: 'x' } }));
    const response = await keepAliveFetch()(`${fake.apiUrl}chat.update`, post({ channel: 'C1', text: 'hi' }));
    expect([response.status, response.ok, response.url, response.headers.get('x-slack-req-id')]).toEqual([
      200,
      true,
      `${fake.apiUrl}chat.update`,
      'r1',
    ]);
    expect(await response.json()).toEqual({ ok: false, error: 'x' });
    expect(fake.calls.map((c) => [c.method, c.token, c.args])).toEqual([
      ['chat.update', 'xoxb-1', { channel: 'C1', text: 'hi' }],
    ]);
  });

  it('reads a 429 with its Retry-After', async () => {
    fake.on('chat.update', () => ({ status: 429, headers: { 'Retry-After': '3' } }));
    const response = await keepAliveFetch()(`${fake.apiUrl}chat.update`, post({}));
    expect([response.status, response.ok, response.headers.get('Retry-After')]).toEqual([429, false, '3']);
  });

  it('sends each call to its own URL, also when the same ones come again', async () => {
    const fetch = keepAliveFetch();
    for (const method of ['chat.update', 'views.open', 'chat.update', 'views.publish']) {
      const response = await fetch(`${fake.apiUrl}${method}`, post({ n: 1 }));
      expect(await response.text()).toBe('{"ok":true}');
    }
    expect(fake.calls.map((c) => c.method)).toEqual([
      'chat.update',
      'views.open',
      'chat.update',
      'views.publish',
    ]);
  });

  it('fails a response whose body stops half way with the timeout, not "aborted"', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"ok":'); // and never the rest
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const fetch = keepAliveFetch({ timeoutMs: 200 });
      await expect(fetch(`http://127.0.0.1:${port}/api/chat.postMessage`, post({}))).rejects.toThrow(
        'no answer in 200 ms',
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails a request that has no answer after timeoutMs, and the next one still works', async () => {
    fake.on('chat.postMessage', (_call, nth) => (nth === 1 ? { delayMs: 2_000 } : undefined));
    const fetch = keepAliveFetch({ timeoutMs: 200 });
    const started = performance.now();
    await expect(fetch(`${fake.apiUrl}chat.postMessage`, post({}))).rejects.toThrow('no answer in 200 ms');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(1_000);
    expect((await fetch(`${fake.apiUrl}chat.postMessage`, post({}))).status).toBe(200);
  });
});

describe('SlackClients over keepAliveFetch', () => {
  it("throws Slack's error as a WebAPIPlatformError with the whole answer", async () => {
    fake.on('chat.postMessage', () => ({ body: { ok: false, error: 'channel_not_found', needed: 'x' } }));
    const clients = new SlackClients({ slackApiUrl: fake.apiUrl, fetch: keepAliveFetch(), retries: 0 });
    const error = await clients.call('xoxb-1', 'chat.postMessage', { channel: 'C1' }).catch((e) => e);
    expect(error instanceof WebAPIPlatformError && error.data).toEqual({
      ok: false,
      error: 'channel_not_found',
      needed: 'x',
    });
  });

  it('throws a WebAPIRequestError when Slack does not answer in time', async () => {
    fake.on('chat.postMessage', () => ({ delayMs: 2_000 }));
    const clients = new SlackClients({
      slackApiUrl: fake.apiUrl,
      fetch: keepAliveFetch({ timeoutMs: 100 }),
      retries: 0,
    });
    const error = await clients.call('xoxb-1', 'chat.postMessage', { channel: 'C1' }).catch((e) => e);
    expect(error).toBeInstanceOf(WebAPIRequestError);
    expect(String(error)).toContain('no answer in 100 ms');
  });
});
