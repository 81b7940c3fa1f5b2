/**
 * `npm run trigger -- <fixture> [url]`: sends a signed fixture (test/fixtures/slack/<fixture>.json)
 * to a running HTTP mount, as Slack would. Default URL: http://127.0.0.1:$PORT/slack/events.
 */
import { requireKeys } from '../src/config.js';
import { signSlackRequest } from '../src/http/verify-signature.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';
import { fixture, fixtureNames, httpForm } from '../test/helpers/fixtures.js';

runMain(async () => {
  const [name, target] = process.argv.slice(2);
  if (!name || !fixtureNames().includes(name)) {
    throw new StartupError(
      `usage: npm run trigger -- <fixture> [url]; fixtures: ${fixtureNames().join(', ')}`,
    );
  }
  const config = requireKeys(nodeConfig(), ['SLACK_SIGNING_SECRET']);
  // The same wrapping the tests use: JSON body, command form, or `payload=` form, as Slack sends them.
  const { body, contentType } = httpForm(fixture(name));
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
