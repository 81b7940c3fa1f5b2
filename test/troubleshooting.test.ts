/**
 * README's troubleshooting table speaks the words people search for, and every symptom the code
 * can detect prints those same words. Each message below is produced by the code (not copied from
 * it); the test checks it contains its symptom's words and that the table has them too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../src/app/index.js';
import { testContext } from '../src/app/testing.js';
import { loadConfig, requireKeys } from '../src/config/settings.js';
import type { ApiCall } from '../src/core/action.js';
import { EffectError } from '../src/core/errors.js';
import { describeConnectError } from '../src/db/postgres.js';
import { checkManifest, type Manifest, ManifestSchema } from '../src/manifest/check.js';
import { diffManifests, formatChange } from '../src/manifest/diff.js';
import { loadManifest, placeholderValues } from '../src/manifest/placeholders.js';
import { SlackClients } from '../src/slack/client.js';
import { dryRunLine, dryRunRunner } from '../src/slack/dry-run.js';
import { slackRunner } from '../src/slack/execute.js';
import type { BotTokenSource } from '../src/slack/tokens.js';
import { SocketLink } from '../src/socket/connection.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { runHandler } from '../src/testing/run-handler.js';
import { fixture } from './helpers/fixtures.js';
import { APP_TOKEN } from './helpers/socket-stack.js';

/** The rows of README's "Troubleshooting" table, as cells. */
function troubleshootingRows(): string[][] {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const section = readme.split(/^## Troubleshooting\n/m)[1]?.split(/^## /m)[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

const rows = troubleshootingRows();
const body = rows.slice(2); // after the header and the --- line
const table = body.map((cells) => cells.join(' | ')).join('\n');

const errorOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** A SocketLink against the fake Slack that collects its log lines and its fatal error. */
function socketLink(lines: string[]) {
  const log = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return new SocketLink({
    appToken: APP_TOKEN,
    slackApiUrl: fake.apiUrl,
    logger: { debug() {}, info: log('info'), warn: log('warn'), error: log('error') },
    onEnvelope: ({ ack }) => void ack(),
    onFatal: (error) => lines.push(`fatal ${error.message}`),
    tooManyBackoffMs: 100,
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 5_000) throw new Error('condition not met in 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const appUrl = new URL('https://app.example.com');
/** What manifest:check finds in manifest.yaml after `edit`. */
function problems(edit: (manifest: Manifest) => Manifest): string[] {
  const manifest = ManifestSchema.parse(loadManifest('manifest.yaml', placeholderValues({}, appUrl)));
  return checkManifest(edit(manifest), linkApp().router.declarations(), appUrl);
}

/** A bot token source with no token for any workspace. */
const noToken: BotTokenSource = Object.assign(async () => null, {
  clear() {},
  refreshDue: async () => 0,
});

/**
 * Every message the code prints for a symptom in the table: [the table's words, how to produce it].
 * Add a row here when the code learns to detect another symptom.
 */
const DETECTED: [words: string, produce: () => Promise<string>][] = [
  [
    'SLACK_APP_TOKEN is required',
    async () => errorOf(() => requireKeys(loadConfig({}), ['SLACK_APP_TOKEN'])),
  ],
  [
    'cannot reach PostgreSQL at',
    async () =>
      describeConnectError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
        {
          host: '127.0.0.1',
          port: '1',
          database: 'app',
          url: 'postgres://postgres@127.0.0.1:1/app',
        },
      ),
  ],
  [
    '(ECONNREFUSED)',
    async () =>
      describeConnectError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
        host: 'db',
        port: '5432',
        database: 'app',
        url: 'postgres://db/app',
      }),
  ],
  [
    'Socket Mode is turned off for this app',
    async () => {
      const lines: string[] = [];
      const link = socketLink(lines);
      await link.start();
      fake.disconnect('link_disabled', 50);
      await until(() => lines.some((line) => line.startsWith('fatal ')));
      await link.stop();
      return lines.find((line) => line.startsWith('fatal ')) ?? '';
    },
  ],
  [
    'Slack refused another connection (too_many_websockets)',
    async () => {
      const lines: string[] = [];
      const link = socketLink(lines);
      await link.start();
      fake.disconnect('too_many_websockets', 50);
      await until(() => lines.some((line) => line.includes('too_many_websockets')));
      await link.stop();
      return lines.find((line) => line.includes('too_many_websockets')) ?? '';
    },
  ],
  [
    'SLACK_APP_TOKEN was refused by Slack (invalid_auth)',
    async () => {
      fake.on('apps.connections.open', () => ({ body: { ok: false, error: 'invalid_auth' } }));
      try {
        const link = socketLink([]);
        const started = await link.start().then(
          () => '',
          (error: unknown) => (error as Error).message,
        );
        await link.stop();
        return started;
      } finally {
        fake.reset();
      }
    },
  ],
  [
    'This channel is not linked to an organization yet',
    async () => {
      const { effects } = await runHandler(linkApp().router, fixture('event_app_mention'), testContext());
      const post = effects.find((effect): effect is ApiCall => effect.type === 'api');
      return post?.method === 'chat.postMessage' && 'text' in post.args ? String(post.args.text) : '';
    },
  ],
  [
    'settings.event_subscriptions.bot_events lacks',
    async () =>
      problems((m) => ({ ...m, settings: { ...m.settings, event_subscriptions: { bot_events: [] } } }))[0] ??
      '',
  ],
  [
    'settings.event_subscriptions.bot_events[+]',
    async () =>
      diffManifests(
        { settings: { event_subscriptions: { bot_events: ['app_mention'] } } },
        { settings: { event_subscriptions: { bot_events: ['app_mention', 'link_shared'] } } },
      ).map(formatChange)[0] ?? '',
  ],
  [
    'features.unfurl_domains does not cover',
    async () =>
      problems((m) => ({ ...m, features: { ...m.features, unfurl_domains: ['example.org'] } })).at(-1) ?? '',
  ],
  [
    'SLACK_DRY_RUN=true: each Slack call is printed here, not made',
    async () => {
      const lines: string[] = [];
      const log = (message: string) => void lines.push(message);
      dryRunRunner({ debug: log, info: log, warn: log, error: log });
      return lines.join('\n');
    },
  ],
  [
    'dry run: chat.postMessage',
    async () =>
      dryRunLine(
        { type: 'api', method: 'chat.postMessage', args: { channel: 'C1', text: 'hi' } },
        { teamId: 'T1', enterpriseId: null },
      ),
  ],
  [
    'no bot token for team T',
    async () => {
      const run = slackRunner({
        clients: new SlackClients({ slackApiUrl: fake.apiUrl }),
        botToken: noToken,
      });
      return run(
        { type: 'api', method: 'chat.postMessage', args: { channel: 'C1', text: 'hi' } },
        { teamId: 'T1', enterpriseId: null },
      ).then(
        () => '',
        (error: unknown) => (error instanceof EffectError ? error.message : String(error)),
      );
    },
  ],
];

describe("README's troubleshooting table", () => {
  it('is a symptom | cause | fix table that starts with the symptoms people search for', () => {
    expect(rows[0]).toEqual(['symptom', 'cause', 'fix']);
    expect(rows[1]).toEqual(['---', '---', '---']);
    for (const cells of body) expect(cells).toHaveLength(3);
    const first = [
      '`error: SLACK_APP_TOKEN is required`',
      'Connection refused on startup',
      'Events not arriving',
      'Bot not responding to mentions',
      'Link previews not showing',
    ];
    expect(body.slice(0, 5).map(([symptom], i) => symptom?.slice(0, first[i]?.length))).toEqual(first);
  });

  it.each(DETECTED)('has the words the code prints: %s', async (words, produce) => {
    const message = await produce();
    expect(message).toContain(words);
    expect(table).toContain(words);
  });

  it.each([
    ['SLACK_SIGNING_SECRET', 'X is required: '],
    ['SLACK_BOT_TOKEN', 'X is required: '],
  ])('covers every missing setting with one row (%s)', (key, words) => {
    const message = errorOf(() => requireKeys(loadConfig({}), [key as 'SLACK_SIGNING_SECRET']));
    expect(message.replace(key, 'X')).toContain(words);
    expect(table).toContain(`error: ${words}`);
  });

  it('covers every malformed setting with one row', () => {
    const message = errorOf(() => loadConfig({ PORT: 'eighty' }));
    expect(message.replace('PORT', 'X')).toMatch(/^X is invalid \(/);
    expect(table).toContain('error: X is invalid (');
  });
});
