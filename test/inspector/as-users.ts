import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../../dev/build.js';
import type { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import type { Spawned } from '../helpers/spawn.js';

/** Shared by the tests that start the router as users do (dev:http behind a tunnel, dist/ entries). */
export const SLOW_MS = 90_000;
export const TOKEN = 'inspector-token-for-tests-0123';
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh folder: no .env there for a process to read. */
export const fresh = (name: string) => mkdtempSync(join(tmpdir(), `inspector-${name}-`));

/** The settings of an HTTP server on `port` talking to `fake`, on a throwaway database. */
export const appEnv = (fake: FakeSlack, port: number, extra: Record<string, string> = {}) => ({
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_API_URL: fake.apiUrl,
  DATABASE_URL: 'memory://',
  PORT: String(port),
  ...extra,
});

/** dist/ built by dev/build.ts into a temp folder that finds the repository's node_modules. */
export async function buildDist(): Promise<string> {
  const dir = fresh('dist');
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await buildNode(dir);
  return dir;
}

/** `proc` once `text` is in its output. */
export async function started(proc: Spawned, text: string): Promise<Spawned> {
  await proc.waitFor(text, SLOW_MS);
  return proc;
}

export const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers, redirect: 'manual' });
export const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers, body: new URLSearchParams({ since: '1h' }), redirect: 'manual' });

/** A signed mention POSTed to `base`/slack/events, as Slack sends it. */
export async function deliver(base: string): Promise<Response> {
  const { body, contentType } = httpForm(fixture('event_app_mention'));
  return fetch(`${base}/slack/events`, {
    method: 'POST',
    body,
    headers: await slackHeaders(body, contentType),
  });
}

/** The answer to a request that came through a tunnel adding X-Forwarded-For. */
export const FORWARDED = {
  error: 'forwarded',
  message:
    'the request came through a proxy or tunnel (x-forwarded-for); without INSPECTOR_TOKEN the inspector serves requests made on this machine only',
};
