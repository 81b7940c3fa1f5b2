/**
 * `npm run trigger -- <fixture> [url]`: sends a signed fixture (test/fixtures/slack/<fixture>.json)
 * to a running HTTP mount, as Slack would. Default URL: http://127.0.0.1:$PORT/slack/events.
 */
import { fileURLToPath } from 'node:url';
import { requireKeys } from '../src/config/settings.js';
import { signSlackRequest } from '../src/http/verify-signature.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';
import { fixtureFolder, httpForm } from '../src/testing/fixtures.js';

const fixtures = fixtureFolder(fileURLToPath(new URL('../test/fixtures/slack/', import.meta.url)));

runMain(async () => {
  const [name, target] = process.argv.slice(2);
  if (!name || !fixtures.names().includes(name)) {
    throw new StartupError(
      `usage: npm run trigger -- <fixture> [url]; fixtures: ${fixtures.names().join(', ')}`,
    );
  }
  const config = requireKeys(nodeConfig(), ['SLACK_SIGNING_SECRET']);
  // The same wrapping the tests use: JSON body, command form, or `payload=` form, as Slack sends them.
  const { body, contentType } = httpForm(fixtures.load(name));
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
