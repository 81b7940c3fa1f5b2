/**
 * `npm run trigger -- <template|fixture> …`: sends a signed delivery to a running HTTP mount, as
 * Slack would. Templates (`mention "hello"`, `command "/link acme"`, `unfurl <url>`, `home`,
 * `button link_channel`) are built from the fixtures with fresh ids; a fixture name sends
 * test/fixtures/slack/<fixture>.json as it is (`--fresh`: with new ids). No argument: lists both.
 * Default URL: http://127.0.0.1:$PORT/slack/events.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requireKeys } from '../src/config/settings.js';
import { normalizeHttp } from '../src/core/normalize.js';
import { nodeConfig, runMain, StartupError } from '../src/runtime/cli.js';
import { DRY_RUN_PREFIX } from '../src/slack/dry-run.js';
import { type Fixture, fixtureFolder, httpForm } from '../src/testing/fixtures.js';
import { slackHeaders } from '../src/testing/signing.js';
import { describeOutcome, fetchOutcome } from '../src/testing/trigger-outcome.js';
import {
  buildTemplate,
  freshIds,
  isTemplate,
  TEMPLATES,
  TemplateError,
} from '../src/testing/trigger-templates.js';

const fixtures = fixtureFolder(fileURLToPath(new URL('../test/fixtures/slack/', import.meta.url)));

/** The listing `npm run trigger` prints with no argument. */
function listing(): string {
  const width = Math.max(...Object.keys(TEMPLATES).map((name) => name.length));
  return [
    'usage: npm run trigger -- <template> [args] [--channel C123] [--url URL]',
    '       npm run trigger -- <fixture> [URL] [--fresh] [--url URL]',
    '',
    'templates (built from the fixtures, fresh ids on every send):',
    ...Object.entries(TEMPLATES).map(
      ([name, template]) => `  ${name.padEnd(width)}  npm run trigger -- ${template.usage}`,
    ),
    '',
    'fixtures (test/fixtures/slack, sent as they are; --fresh gives them new ids):',
    ...fixtures.names().map((name) => `  ${name}`),
  ].join('\n');
}

/** The ids a delivery is deduplicated by, for the "sent" line. */
function idsOf(fixture: Fixture): string {
  const p = fixture.payload;
  const event = typeof p.event === 'object' && p.event !== null ? (p.event as Record<string, unknown>) : {};
  const parts =
    fixture.kind === 'events_api'
      ? [`event_id ${p.event_id}`, event.ts ? `ts ${event.ts}` : null]
      : [p.trigger_id ? `trigger_id ${p.trigger_id}` : null];
  return parts.filter(Boolean).join(', ');
}

runMain(async () => {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    // parseArgs' own words are long and vary between Node versions: name the option, point at the list.
    const option = /'(-[^' ]*)/.exec((error as Error).message)?.[1] ?? 'an option';
    const problem =
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option}`
        : /does not take/.test((error as Error).message)
          ? `${option} takes no value`
          : `${option} needs a value`;
    throw new StartupError(`${problem}: run npm run trigger to list what it takes`);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (!name || values.help) {
    console.log(listing());
    return;
  }
  let fixture: Fixture;
  let target = values.url;
  if (isTemplate(name)) {
    try {
      fixture = buildTemplate(name, { words: rest, channel: values.channel }, fixtures.load);
    } catch (error) {
      if (error instanceof TemplateError) throw new StartupError(error.message);
      throw error;
    }
  } else if (fixtures.names().includes(name)) {
    if (values.channel) throw new StartupError('--channel works with templates only (mention, command, …)');
    if (rest.length > 1)
      throw new StartupError(`unexpected arguments after ${name}: ${rest.slice(1).join(' ')}`);
    target ??= rest[0];
    fixture = values.fresh ? freshIds(fixtures.load(name)) : fixtures.load(name);
  } else {
    throw new StartupError(
      `no template or fixture named ${JSON.stringify(name)}: run npm run trigger to list them`,
    );
  }

  const config = requireKeys(nodeConfig(), ['SLACK_SIGNING_SECRET']);
  // The same wrapping the tests use: JSON body, command form, or `payload=` form, as Slack sends them.
  const wrapped = httpForm(fixture);
  const url = target ?? `http://127.0.0.1:${config.PORT}/slack/events`;
  const headers = await slackHeaders(wrapped.body, wrapped.contentType, {
    secret: config.SLACK_SIGNING_SECRET,
  });
  const response = await fetch(url, { method: 'POST', body: wrapped.body, headers }).catch(
    (error: unknown) => {
      throw new StartupError(
        `could not reach ${url} (${error instanceof Error ? error.message : error}): is npm run dev:http running?`,
      );
    },
  );
  const body = await response.text();
  const fresh = isTemplate(name) || values.fresh;
  console.log(`sent ${fixture.name} to ${url}: ${idsOf(fixture)}${fresh ? ' (fresh)' : ''}`);
  console.log(`${response.status} ${body === '' ? '(empty body)' : body}`);
  if (response.status === 401) {
    throw new StartupError(
      "the server refused the signature: SLACK_SIGNING_SECRET here differs from the server's, or a clock is more than 5 minutes off",
    );
  }
  if (!response.ok) throw new StartupError(`the server answered ${response.status}: its log says why`);
  // What the delivery led to, as the server recorded it: read back from its inspector.
  const inspect = new URL('/_inspect', url);
  const key = deliveryKey(fixture);
  const token = process.env.INSPECTOR_TOKEN;
  const outcome = key
    ? await fetchOutcome(inspect, key, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    : null;
  console.log(
    outcome
      ? describeOutcome(outcome)
      : `what it led to is in the server's log and at ${inspect.href} (the inspector did not answer here)`,
  );
  console.log(
    `with SLACK_DRY_RUN=true each Slack call is a "${DRY_RUN_PREFIX} …" line in the server's log; steps that follow are deliveries of their own, at ${inspect.href}`,
  );
  if (!fresh) {
    console.log(
      "sent with the fixture's own ids: sending it again is a duplicate (acked, nothing runs); --fresh gives it new ids",
    );
  }
});

/** The key the server records the delivery under (its dedup key), as normalize derives it. */
function deliveryKey(fixture: Fixture): string | null {
  const result = normalizeHttp(httpForm(fixture));
  return result.ok && result.value.type === 'event' ? result.value.event.deliveryId : null;
}

function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      channel: { type: 'string' },
      url: { type: 'string' },
      fresh: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
