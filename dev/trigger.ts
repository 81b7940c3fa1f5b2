/**
 * `npm run trigger -- <fixture> [url]`: sends a signed fixture (test/fixtures/slack/<fixture>.json)
 * to a running HTTP mount, as Slack would. Default URL: http://127.0.0.1:$PORT/slack/events.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { requireKeys } from '../src/config.js';
import { signSlackRequest } from '../src/http/verify-signature.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';

const FIXTURES = new URL('../test/fixtures/slack/', import.meta.url);

runMain(async () => {
  const [name, target] = process.argv.slice(2);
  const file = new URL(`${name}.json`, FIXTURES);
  if (!name || !existsSync(file)) {
    const names = readdirSync(FIXTURES).map((f) => f.replace(/\.json$/, ''));
    throw new StartupError(`usage: npm run trigger -- <fixture> [url]; fixtures: ${names.join(', ')}`);
  }
  const config = requireKeys(nodeConfig(), ['SLACK_SIGNING_SECRET']);
  const { kind, payload } = JSON.parse(readFileSync(file, 'utf8')) as {
    kind: string;
    payload: Record<string, unknown>;
  };
  const [body, contentType] =
    kind === 'events_api'
      ? [JSON.stringify(payload), 'application/json']
      : kind === 'slash_commands'
        ? [
            new URLSearchParams(Object.entries(payload).map(([k, v]) => [k, String(v)])).toString(),
            'application/x-www-form-urlencoded',
          ]
        : [
            new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
            'application/x-www-form-urlencoded',
          ];
  const timestamp = Math.floor(Date.now() / 1000);
  const url = target ?? `http://127.0.0.1:${config.PORT}/slack/events`;
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': await signSlackRequest(config.SLACK_SIGNING_SECRET, timestamp, body),
    },
  }).catch((error: unknown) => {
    throw new StartupError(
      `could not reach ${url} (${error instanceof Error ? error.message : error}): is npm run dev:http running?`,
    );
  });
  console.log(`${response.status} ${await response.text()}`);
});
