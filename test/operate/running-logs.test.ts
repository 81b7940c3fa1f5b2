/**
 * The log of a running dev:http, as an operator's log platform reads it (LOG_FORMAT=json, at debug):
 * one JSON object per line, an effect that failed for good with its delivery, method, attempts and
 * Slack's error, and no response_url anywhere.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { type Spawned, spawnScript } from '../helpers/spawn.js';

const SLOW_MS = 120_000;
const fake = new FakeSlack();
let run: Spawned;
let port: number;

interface JsonLine {
  time: string;
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}
const jsonLines = (): JsonLine[] =>
  run
    .output()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonLine);

beforeAll(async () => {
  await fake.start();
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  run = spawnScript(
    'src/runtime/node.ts',
    {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      DATABASE_URL: 'memory://',
      PORT: String(port),
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
    },
    mkdtempSync(join(tmpdir(), 'operate-logs-')),
  );
  await run.waitFor('listening on', SLOW_MS);
}, SLOW_MS);
afterAll(async () => {
  run.child.kill('SIGTERM');
  await run.exited;
  await fake.stop();
});

async function deliver(name: string): Promise<number> {
  const { body, contentType } = httpForm(fixture(name));
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    body,
    headers: await slackHeaders(body, contentType),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('a running dev:http with LOG_FORMAT=json', () => {
  it('writes every line as one JSON object: time, level, msg, fields', () => {
    const lines = jsonLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['time', 'level', 'msg', 'fields']);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(lines.find((line) => line.msg.startsWith('listening on'))).toMatchObject({
      level: 'info',
      msg: `listening on http://127.0.0.1:${port}/slack/events`,
      fields: { database: 'pglite memory' },
    });
  });

  it(
    "logs an effect that failed for good with its delivery, method, attempts and Slack's error",
    async () => {
      fake.on('chat.postMessage', () => ({ body: { ok: false, error: 'channel_not_found' } }));
      expect(await deliver('event_app_mention')).toBe(200);
      await run.waitFor('failed for good', SLOW_MS);
      expect(jsonLines().filter((line) => line.msg.includes('failed for good'))).toEqual([
        {
          time: expect.any(String),
          level: 'error',
          msg: '  ↳ chat.postMessage failed for good',
          fields: {
            delivery: 'app_mention:T0001ACME:C0CHAN001:1764100000.000100',
            attempts: 1,
            error: 'channel_not_found',
          },
        },
      ]);
    },
    SLOW_MS,
  );

  it(
    'never prints a response_url, not even at debug',
    async () => {
      expect(await deliver('command_link')).toBe(200);
      await run.waitFor(/command \/link/, SLOW_MS);
      expect(run.output()).not.toContain('fakeresponse');
      expect(run.output()).not.toMatch(/^\s+at /m);
    },
    SLOW_MS,
  );
});
