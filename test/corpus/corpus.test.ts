import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { slackHeaders } from '../../src/testing/signing.js';
import { socketForm } from '../helpers/fixtures.js';
import { httpStack } from '../helpers/http-stack.js';
import { socketStack } from '../helpers/socket-stack.js';
import { httpEncoding, loadCorpus, socketFixture } from './corpus.js';

// Real deliveries published by others (SDK test suites, Slack's docs): every one must be acked.
// Corpus ids repeat across files (Ev111, T111 …): a redelivered id is acked as a duplicate, still an ack.
const corpus = loadCorpus();
const socketCases = corpus.flatMap((entry) => {
  const fixture = socketFixture(entry);
  return fixture ? [{ entry, fixture }] : [];
});

describe('the corpus of real Slack deliveries', () => {
  it('holds at least 150 deliveries of every kind', () => {
    const kinds = new Set(corpus.map((entry) => entry.kind));
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    expect([...kinds].sort()).toEqual(['command', 'event', 'interactive', 'ssl_check', 'url_verification']);
  });
});

describe('over HTTP, each delivery signed in the encoding Slack uses for its kind', () => {
  const fake = new FakeSlack();
  let stack: Awaited<ReturnType<typeof httpStack>>;

  beforeAll(async () => {
    await fake.start();
    stack = await httpStack(fake);
  });
  afterEach(async () => {
    await stack.settled();
    fake.reset();
  });
  afterAll(async () => {
    await stack.database.close();
    await fake.stop();
  });

  it.each(corpus.map((entry) => [entry.name, entry] as const))('acks %s', async (_name, entry) => {
    const { body, contentType } = httpEncoding(entry);
    const res = await stack.app.request('/slack/events', {
      method: 'POST',
      body,
      headers: await slackHeaders(body, contentType),
    });
    const answer = await res.text();
    expect([res.status, answer]).toEqual([200, expect.any(String)]);
    if (entry.kind === 'url_verification')
      expect(JSON.parse(answer)).toEqual({ challenge: entry.body.challenge });
  });
});

describe('through the Socket Mode shim, each delivery pushed as an envelope', () => {
  const fake = new FakeSlack();
  /** Envelopes the shim acked only to drop them as unreadable, with the reason it logged. */
  const ignored = new Map<string, string>();
  const logger = {
    debug() {},
    info() {},
    warn(...[message, fields]: [string?, Record<string, unknown>?]) {
      if (typeof fields?.envelope === 'string' && message?.startsWith('envelope ignored'))
        ignored.set(fields.envelope, message);
    },
    error() {},
  };
  let stack: Awaited<ReturnType<typeof socketStack>>;

  beforeAll(async () => {
    await fake.start();
    stack = await socketStack(fake, { logger });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await stack.shim.stop();
    await stack.database.close();
    await fake.stop();
  });

  it.each(socketCases.map((c) => [c.entry.name, c] as const))('acks %s', async (name, { fixture }) => {
    const envelopeId = `corpus-${name.replaceAll('/', '-')}`;
    fake.sendEnvelope(
      socketForm(fixture, { envelopeId }) as Record<string, unknown> & { envelope_id: string },
    );
    await fake.waitFor(() => fake.envelopes.get(envelopeId)?.ack !== undefined, 5_000);
    // The shim also acks what it cannot read, so Slack stops redelivering it: that is not taking it.
    expect(ignored.get(envelopeId) ?? 'taken').toBe('taken');
    expect(stack.fatal).toEqual([]);
  });
});
