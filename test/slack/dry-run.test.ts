import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { loadConfig, needsBotToken } from '../../src/config/settings.js';
import type { Logger } from '../../src/core/context.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { countEffects } from '../../src/db/outbox.js';
import { createPipeline } from '../../src/pipeline/build.js';
import { dryRunLine, dryRunRunner, showArgs, syntheticResult } from '../../src/slack/dry-run.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixtureEvent } from '../helpers/events.js';
import { fixture, socketForm } from '../helpers/fixtures.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';
import { spawnScript } from '../helpers/spawn.js';

const T1 = { teamId: 'T0001ACME', enterpriseId: null };

function collecting(lines: string[]): Logger {
  const log = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('the dry-run runner', () => {
  it('prints a Web API call with its arguments, tokens and token fields redacted', () => {
    expect(
      dryRunLine(
        {
          type: 'api',
          method: 'chat.postMessage',
          args: { channel: 'C0CHAN001', text: 'use xoxb-1234-5678-abcdef or xapp-1-A1-2-zz', token: 'plain' },
        },
        T1,
      ),
    ).toBe(
      'dry run: chat.postMessage {"channel":"C0CHAN001","text":"use xoxb-… or xapp-…","token":"[redacted]"} (team T0001ACME)',
    );
  });

  it('prints a response_url post as [response_url], never the URL', () => {
    expect(
      dryRunLine(
        {
          type: 'respond',
          url: 'https://hooks.slack.com/commands/T0001ACME/1000/secret-part',
          body: { text: 'Linked.', response_type: 'ephemeral', replace_original: true },
        },
        { teamId: null, enterpriseId: 'E0001GRID' },
      ),
    ).toBe(
      'dry run: POST [response_url] {"text":"Linked.","response_type":"ephemeral","replace_original":true} (team E0001GRID)',
    );
    expect(showArgs({ response_url: 'https://hooks.slack.com/x', nested: [{ response_urls: ['a'] }] })).toBe(
      '{"response_url":"[response_url]","nested":[{"response_urls":"[response_url]"}]}',
    );
  });

  it('logs the line and answers a plausible result: the effect counts as done, its step gets an id', async () => {
    const lines: string[] = [];
    const run = dryRunRunner(collecting(lines));
    const result = await run(
      { type: 'api', method: 'views.publish', args: { user_id: 'U1', view: { type: 'home', blocks: [] } } },
      T1,
    );
    expect(result).toMatchObject({ ok: true, view: { id: expect.stringMatching(/^VDRYRUN\d+$/) } });
    expect(lines).toEqual([
      'info SLACK_DRY_RUN=true: each Slack call is printed here, not made',
      'info dry run: views.publish {"user_id":"U1","view":{"type":"home","blocks":[]}} (team T0001ACME)',
    ]);
  });
});

it('answers a posted message with its channel and a ts, so a step can update it', () => {
  const post = {
    type: 'api' as const,
    method: 'chat.postMessage' as const,
    args: { channel: 'C1', text: 'hi' },
  };
  const result = syntheticResult(post, Date.UTC(2026, 11, 7));
  expect(result).toMatchObject({ ok: true, channel: 'C1', ts: expect.stringMatching(/^1796601600\.\d{6}$/) });
  expect(syntheticResult(post)).not.toEqual(result);
});

describe('needsBotToken', () => {
  it.each([
    [{}, true],
    [{ SLACK_BOT_TOKEN: 'xoxb-1-2' }, false],
    [{ SLACK_DRY_RUN: 'true' }, false],
    [{ SLACK_DRY_RUN: 'false' }, true],
  ])('%j → %s', (env, needed) => {
    expect(needsBotToken(loadConfig(env))).toBe(needed);
  });
});

describe('a pipeline with SLACK_DRY_RUN=true', () => {
  const fake = new FakeSlack();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('prints the call, marks the effect done and sends nothing, with no bot token', async () => {
    const database = await openDatabase('memory://');
    await migrate(database);
    const lines: string[] = [];
    const logger = collecting(lines);
    const app = linkApp(logger);
    const pipeline = createPipeline({
      app,
      config: loadConfig({ SLACK_DRY_RUN: 'true', SLACK_API_URL: fake.apiUrl }),
      settings: app.settings({}),
      database,
      logger,
    });
    try {
      const taken = await pipeline.take(fixtureEvent('event_app_mention'));
      if (taken.status !== 'ack') throw new Error(`not acked: ${taken.status}`);
      const outcomes = await taken.after();
      expect(outcomes.map(({ effect, status }) => [effect, status])).toEqual([['chat.postMessage', 'done']]);
      expect(lines.filter((line) => line.includes('dry run:'))).toEqual([
        expect.stringMatching(
          /^info dry run: chat\.postMessage \{"channel":"C0CHAN001","thread_ts":"1764100000\.000100","text":"This channel is not linked to an organization yet\. Type `\/link <organization-slug>` to link it\.","blocks":\[.+\]\} \(team T0001ACME\)$/,
        ),
      ]);
      expect(await countEffects(database.db)).toEqual({ done: 1 });
      expect(fake.calls).toEqual([]);
    } finally {
      await pipeline.idle();
      await database.close();
    }
  }, 60_000);
});

describe('npm run dev:socket with SLACK_DRY_RUN=true', () => {
  const fake = new FakeSlack();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('starts without a bot token and prints the calls it would make, making none', async () => {
    const run = spawnScript(
      'src/runtime/socket.ts',
      {
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: fake.apiUrl,
        DATABASE_URL: 'memory://',
        SLACK_DRY_RUN: 'true',
      },
      mkdtempSync(join(tmpdir(), 'shim-')),
    );
    try {
      await run.waitFor('Socket Mode connected', 45_000);
      fake.sendEnvelope(
        socketForm(fixture('event_app_mention'), { envelopeId: 'env-dry' }) as { envelope_id: string },
      );
      await run.waitFor('↳ chat.postMessage done', 30_000);
      expect(run.output()).toMatch(
        /dry run: chat\.postMessage \{"channel":"C0CHAN001","thread_ts":"1764100000\.000100","text":"This channel is not linked/,
      );
      await fake.waitFor(() => fake.envelopes.get('env-dry')?.ack !== undefined);
      expect(fake.calls.map((call) => call.method)).toEqual(['apps.connections.open']);
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }
  }, 60_000);
});
