import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { organizations } from '../../src/app/store/schema.js';
import { loadConfig } from '../../src/config/settings.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open.js';
import { observe } from '../../src/inspector/observe.js';
import { Ring } from '../../src/inspector/ring.js';
import type { Pipeline } from '../../src/pipeline/build.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { spawnScript } from '../helpers/spawn.js';
import { mention } from './stack.js';

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl)
  console.info('skipped the deliveries CLI test: TEST_DATABASE_URL is not set (it runs against PostgreSQL)');

// Each command is a real process (tsx start-up included): a few seconds each on a busy machine.
describe.skipIf(!adminUrl)('npm run deliveries, against PostgreSQL', { timeout: 90_000 }, () => {
  const fake = new FakeSlack();
  const name = `router_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let url: string;
  let database: DatabaseHandle;
  let pipeline: Pipeline;
  let admin: postgres.Sql;

  const cli = async (args: string[], extra: Record<string, string> = {}, cwd?: string) => {
    const run = spawnScript('dev/deliveries.ts', { DATABASE_URL: url, ...extra }, cwd, args);
    const code = await run.exited;
    return { code, out: run.output() };
  };
  const take = async (n: number) => {
    const { payload } = mention(fixture('event_app_mention'), n);
    const { normalizeHttp } = await import('../../src/core/normalize.js');
    const inbound = normalizeHttp({
      body: JSON.stringify(payload),
      contentType: 'application/json',
      retryNum: 0,
    });
    if (!inbound.ok || inbound.value.type !== 'event') throw new Error('fixture did not normalize');
    const taken = await pipeline.take(inbound.value.event);
    if (taken.status === 'ack') await taken.after();
    await pipeline.idle();
  };

  beforeAll(async () => {
    await fake.start();
    admin = postgres(adminUrl ?? '', { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const parsed = new URL(adminUrl ?? '');
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    database = await openDatabase(url, { migrate: true });
    await database.db.insert(organizations).values({ slug: 'acme', name: 'Acme Corp' });
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fake.apiUrl, DATABASE_URL: url });
    const app = linkApp(quiet);
    const settings = app.settings({ APP_URL: 'https://app.example.com' });
    const inner = (await import('../../src/pipeline/build.js')).createPipeline({
      app,
      settings,
      config,
      database,
      logger: quiet,
      executor: { maxAttempts: 1 },
    });
    pipeline = observe(inner, new Ring(), { payloads: true, logger: quiet }); // DELIVERY_PAYLOADS=true
    await take(1);
    fake.on('chat.postMessage', () => ({ body: { ok: false, error: 'channel_not_found' } }));
    await take(2);
    fake.reset();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await admin?.unsafe(`drop database if exists "${name}" with (force)`);
    await admin?.end();
    await fake.stop();
  });

  it('lists deliveries, newest first, and only the failed one with --failed', async () => {
    const all = await cli(['list']);
    const lines = all.out.trim().split('\n');
    expect([all.code, lines.length]).toEqual([0, 2]);
    expect(lines[0]).toMatch(
      /^#2 {2}\S+ \S+ {2}event:app_mention {2}T0001ACME {2}C0CHAN001 {2}event:app_mention {2}ack=\d+\.\dms {2}chat\.postMessage:failed\(channel_not_found\)$/,
    );
    expect(lines[1]).toMatch(/^#1 .* chat\.postMessage:done$/);
    const failed = await cli(['list', '--failed', '--team', 'T0001ACME', '--since', '1h']);
    expect(
      failed.out
        .trim()
        .split('\n')
        .map((l) => l.split('  ')[0]),
    ).toEqual(['#2']);
  });

  it('shows a delivery redacted, and says one line for a mistake', async () => {
    const shown = await cli(['show', '1']);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('key: app_mention:T0001ACME:C0CHAN001:1764100000.000001  source: http');
    expect(shown.out).toContain('"token": "[redacted]"');
    expect(shown.out).not.toContain('fake-verification-token');
    expect(shown.out).not.toContain(BOT_TOKEN);
    const missing = await cli(['show', '999']);
    expect([missing.code, missing.out.trim()]).toEqual([
      1,
      'error: no delivery #999 (pruned, or never recorded: only deliveries with effects are)',
    ]);
    const wrong = await cli(['list', '--since', 'yesterday']);
    expect([wrong.code, wrong.out.trim()]).toEqual([
      1,
      'error: --since takes a duration such as 30m, 1h or 2d (got "yesterday")',
    ]);
  });

  it('retries the failed effect: pending again, and a drain makes it done', async () => {
    const effectId = (await cli(['show', '2'])).out.match(/effect (\d+) of #2/)?.[1] ?? '';
    const retried = await cli(['retry', effectId]);
    expect([retried.code, retried.out.trim()]).toEqual([
      0,
      `effect ${effectId} is pending again; the next drain runs it`,
    ]);
    expect(await pipeline.drain()).toEqual({ done: 1, retried: 0, failed: 0, pruned: 0 });
    expect((await cli(['show', '2'])).out).toContain(
      `effect ${effectId} of #2 chat.postMessage done attempts=1 manual_retries=1`,
    );
    const again = await cli(['retry', effectId]);
    expect([again.code, again.out.trim()]).toEqual([1, `effect ${effectId} is not failed: nothing to retry`]);
    expect((await cli(['retry', '--failed', '--since', '1h'])).out.trim()).toBe(
      '0 failed effects are pending again; the next drain of a running process runs them',
    );
  });

  it('replays a delivery: a dry run runs nothing, a replay posts once more', async () => {
    fake.reset();
    const env = {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      APP_URL: 'https://app.example.com',
    };
    const dry = await cli(['replay', '1', '--dry-run'], env);
    expect(dry.out).toContain(
      'dry run of #1 as replay:app_mention:T0001ACME:C0CHAN001:1764100000.000001:1: handler event:app_mention; nothing recorded or run',
    );
    expect(fake.callsOf('chat.postMessage')).toHaveLength(0);
    const run = await cli(['replay', '1'], env);
    // The process's own log lines (time first) come too: the delivery line and each effect's outcome.
    const said = run.out
      .trim()
      .split('\n')
      .filter((line) => !/^\d\d:\d\d:/.test(line));
    expect(run.out).toMatch(
      /event app_mention team=T0001ACME channel=C0CHAN001 .* handler=event:app_mention/,
    );
    expect([run.code, said]).toEqual([
      0,
      [
        'replaying #1 as replay:app_mention:T0001ACME:C0CHAN001:1764100000.000001:1: its effects run again',
        '  chat.postMessage done',
      ],
    ]);
    expect(fake.callsOf('chat.postMessage').map((c) => c.args.thread_ts)).toEqual(['1764100000.000001']);
    expect((await cli(['list'])).out.split('\n')[0]).toMatch(/^#3 .* chat\.postMessage:done$/);
  });

  it('follows new deliveries and effect outcomes with tail', async () => {
    const tail = spawnScript('dev/deliveries.ts', { DATABASE_URL: url }, undefined, ['tail']);
    try {
      await tail.waitFor('following postgres');
      await take(4);
      await tail.waitFor(/#4 .*event:app_mention/);
      await tail.waitFor(/ {2}effect \d+ of #4 chat\.postMessage done attempts=1/);
      expect(tail.output()).not.toContain('#1 ');
    } finally {
      tail.child.kill('SIGTERM');
      await tail.exited;
    }
  });

  it('saves a delivery as a fixture, redacted', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'deliveries-save-'));
    const saved = await cli(['save', '1', 'event_app_mention_saved'], {}, cwd);
    expect(saved.out.trim()).toBe(
      "wrote test/fixtures/slack/event_app_mention_saved.json (redacted); load it in a test with fixture('event_app_mention_saved')",
    );
    const written = JSON.parse(
      readFileSync(join(cwd, 'test/fixtures/slack/event_app_mention_saved.json'), 'utf8'),
    );
    expect([written.kind, written.payload.token, written.payload.event.text]).toEqual([
      'events_api',
      '[redacted]',
      '<@U0BOT0001> question 1',
    ]);
  });
});
