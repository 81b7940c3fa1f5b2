/**
 * `npm run trigger` against a spawned `npm run dev:http` in dry run (SLACK_DRY_RUN=true, no bot
 * token): templates, fresh ids, raw fixtures with and without `--fresh`, and the listing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { SIGNING_SECRET } from '../src/testing/signing.js';
import { TEMPLATES } from '../src/testing/trigger-templates.js';
import { fixtureNames } from './helpers/fixtures.js';
import { freePort } from './helpers/ports.js';
import { type Spawned, spawnScript } from './helpers/spawn.js';

const port = String(await freePort());
const URL_LINE = `http://127.0.0.1:${port}/slack/events`;
const dir = mkdtempSync(join(tmpdir(), 'trigger-'));
/** Where Slack calls would go if any were made: the fake must see none. */
const fake = new FakeSlack();
let server: Spawned;

/** Runs `npm run trigger -- …args` and returns its exit code and output. */
async function trigger(...args: string[]): Promise<{ code: number | null; lines: string[] }> {
  const run = spawnScript('dev/trigger.ts', { SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: port }, dir, args);
  const code = await run.exited;
  return { code, lines: run.output().trimEnd().split('\n') };
}

/** The server's output lines that contain `text`. */
const serverLines = (text: string) =>
  server
    .output()
    .split('\n')
    .filter((line) => line.includes(text));

/** Waits until the server has printed `text` `count` times. */
async function seen(text: string, count: number): Promise<string[]> {
  for (let waited = 0; serverLines(text).length < count; waited += 50) {
    if (waited > 30_000) throw new Error(`"${text}" seen ${serverLines(text).length} times, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return serverLines(text);
}

const DRY_RUN_HINT = `with SLACK_DRY_RUN=true each Slack call is a "dry run: …" line in the server's log; steps that follow are deliveries of their own, at http://127.0.0.1:${port}/_inspect`;

beforeAll(async () => {
  await fake.start();
  // An organization to link to, in the embedded database the server then opens (one process at a time).
  const orgs = spawnScript('dev/orgs.ts', {}, dir, ['add', 'acme', 'Acme Corp']);
  expect(await orgs.exited).toBe(0);
  server = spawnScript(
    'src/runtime/node.ts',
    {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_DRY_RUN: 'true',
      SLACK_API_URL: fake.apiUrl,
      PORT: port,
      // Run outside the repository, tsx needs to be told where the JSX settings of the inspector are.
      TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
    },
    dir,
  );
  await server.waitFor('listening on', 60_000);
}, 120_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  await fake.stop();
});

describe('npm run trigger against dev:http in dry run', () => {
  it('mention, /link, mention again, unfurl: each effect printed with tokens redacted, none sent', async () => {
    const mention = await trigger('mention', 'hello', '--channel', 'C0TRY0001');
    expect(mention.code).toBe(0);
    const sent =
      /^sent mention \(event_app_mention\) to (\S+): event_id (Ev[A-Z0-9]{10}), ts (\d+\.\d{6}) \(fresh\)$/.exec(
        mention.lines[0] ?? '',
      );
    expect(sent?.[1]).toBe(URL_LINE);
    expect(mention.lines.slice(1)).toEqual([
      '200 (empty body)',
      'handler event:app_mention: chat.postMessage done',
      DRY_RUN_HINT,
    ]);
    const ts = sent?.[3] ?? '';
    const [unlinked] = await seen('dry run: chat.postMessage', 1);
    expect(unlinked).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} dry run: chat\\.postMessage \\{"channel":"C0TRY0001","thread_ts":"${ts.replace('.', '\\.')}","text":"This channel is not linked to an organization yet\\. Type \`/link <organization-slug>\` to link it\\.","blocks":\\[.*\\]\\} \\(team T0001ACME\\)$`,
      ),
    );
    await seen('↳ chat.postMessage done', 1);

    const link = await trigger('command', '/link acme', '--channel', 'C0TRY0001');
    expect(link.code).toBe(0);
    expect(link.lines[0]).toMatch(
      new RegExp(
        `^sent command \\(command_link\\) to ${URL_LINE}: trigger_id \\d+\\.\\d{10}\\.[0-9a-f]{32} \\(fresh\\)$`,
      ),
    );
    expect(link.lines.slice(1, 3)).toEqual([
      '200 {"response_type":"in_channel","text":"<@U0USER001> linked this channel to <https://app.example.com/orgs/acme|Acme Corp>."}',
      'handler command:/link: link_channel done',
    ]);
    await seen('↳ link_channel done', 1);

    // The same template again: new ids, so it is a new delivery, and now the channel is linked.
    expect((await trigger('mention', 'hello', '--channel', 'C0TRY0001')).code).toBe(0);
    const posts = await seen('dry run: chat.postMessage', 2);
    expect(posts[1]).toMatch(
      /dry run: chat\.postMessage \{"channel":"C0TRY0001","thread_ts":"\d+\.\d{6}","text":"This channel is linked to <https:\/\/app\.example\.com\/orgs\/acme\|Acme Corp>\."\} \(team T0001ACME\)$/,
    );

    // A token pasted into a link is printed redacted.
    const url = 'https://app.example.com/orgs/acme?invite=xoxb-1234-5678-secretpart';
    const unfurl = await trigger('unfurl', url);
    expect(unfurl.code).toBe(0);
    expect(unfurl.lines[1]).toBe('200 (empty body)');
    const [card] = await seen('dry run: chat.unfurl', 1);
    expect(card).toContain(
      '"unfurls":{"https://app.example.com/orgs/acme?invite=xoxb-…":{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*<https://app.example.com/orgs/acme|Acme Corp>*"}}',
    );
    await seen('↳ chat.unfurl done', 1);

    expect(server.output()).not.toContain('secretpart');
    expect(server.output()).not.toContain('hooks.slack.com');
    expect(server.output()).not.toMatch(/WARN|ERROR/);
    expect(fake.calls).toEqual([]); // dry run: no request reached "Slack"
  }, 180_000);

  it('sends a raw fixture with its own ids (again: a duplicate), and with new ones under --fresh', async () => {
    const before = serverLines('dry run: views.open').length;
    const first = await trigger('block_actions_link_channel');
    expect(first.code).toBe(0);
    expect(first.lines).toEqual([
      `sent block_actions_link_channel to ${URL_LINE}: trigger_id 1000.3000.faketrigger06`,
      '200 (empty body)',
      'handler block_action:link_channel: views.open done',
      DRY_RUN_HINT,
      "sent with the fixture's own ids: sending it again is a duplicate (acked, nothing runs); --fresh gives it new ids",
    ]);
    await seen('dry run: views.open', before + 1);

    const again = await trigger('block_actions_link_channel');
    expect(again.code).toBe(0);
    expect(again.lines[2]).toBe('a duplicate of a delivery the server has: acked, nothing ran');
    await seen('effects=duplicate', 1);

    const fresh = await trigger('block_actions_link_channel', '--fresh');
    expect(fresh.code).toBe(0);
    expect(fresh.lines[0]).toMatch(
      new RegExp(
        `^sent block_actions_link_channel to ${URL_LINE}: trigger_id \\d+\\.\\d{10}\\.[0-9a-f]{32} \\(fresh\\)$`,
      ),
    );
    expect(fresh.lines).toHaveLength(4); // no "duplicate" note
    const opens = await seen('dry run: views.open', before + 2);
    expect(opens).toHaveLength(before + 2);
    expect(serverLines('effects=duplicate')).toHaveLength(1);
  }, 120_000);
});

describe('npm run trigger without a server', () => {
  it('lists the templates and the fixtures and exits 0 when given nothing', async () => {
    const run = await trigger();
    expect(run.code).toBe(0);
    // Every template with its usage, then every fixture: read from their lists, so a new one needs no edit here.
    const usage = (line: string) => line.replace(/^\s+\S+\s+/, '');
    const templates = run.lines.filter((line) => /^ {2}\S+ +npm run trigger -- /.test(line));
    expect(templates.map(usage)).toEqual(
      Object.values(TEMPLATES).map((t) => `npm run trigger -- ${t.usage}`),
    );
    expect(run.lines.slice(0, 2)).toEqual([
      'usage: npm run trigger -- <template> [args] [--channel C123] [--url URL]',
      '       npm run trigger -- <fixture> [URL] [--fresh] [--url URL]',
    ]);
    const fixtures = run.lines.slice(
      run.lines.indexOf('fixtures (test/fixtures/slack, sent as they are; --fresh gives them new ids):') + 1,
    );
    expect(fixtures).toEqual(fixtureNames().map((name) => `  ${name}`));
  }, 60_000);

  it.each([
    [['nope'], 'error: no template or fixture named "nope": run npm run trigger to list them'],
    [
      ['mention', '--channel', 'general'],
      'error: --channel "general" is not a channel id: use one like C0123ABCD',
    ],
    [
      ['command', 'link acme'],
      'error: command needs a slash command, e.g. npm run trigger -- command "/link acme" (got "link acme")',
    ],
    [['--colour'], 'error: unknown option --colour: run npm run trigger to list what it takes'],
  ])(
    'refuses %j in one line, exit 1',
    async (args, line) => {
      const run = await trigger(...args);
      expect(run.code).toBe(1);
      expect(run.lines).toEqual([line]);
    },
    60_000,
  );
});
