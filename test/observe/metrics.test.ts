import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkApp } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/settings.js';
import { migrate, openDatabase } from '../../src/db/open.js';
import { type RunningServer, startHttpServer } from '../../src/runtime/node-http.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET, slackHeaders } from '../../src/testing/signing.js';
import { fixture, httpForm } from '../helpers/fixtures.js';
import { BOT_TOKEN, quiet } from '../helpers/http-stack.js';
import { freePort } from '../helpers/ports.js';

// /metrics of a real Node server, scraped as Prometheus would and read with a real text-format parser.
const TOKEN = 'metrics-test-token-0123456789';
const fake = new FakeSlack();
let server: RunningServer;
let base: string;

beforeAll(async () => {
  await fake.start();
  const database = await openDatabase('memory://');
  await migrate(database);
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(await freePort()),
    INSPECTOR_TOKEN: TOKEN,
    // Rows keep no event nor ack time (Postgres's default): the ack chart comes from this process.
    DELIVERY_PAYLOADS: 'false',
  });
  const app = linkApp();
  server = await startHttpServer({ app, settings: app.settings({}), config, database, logger: quiet });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await fake.stop();
});

async function deliver(body: string, contentType: string, headers?: Record<string, string>) {
  const signed = headers ?? (await slackHeaders(body, contentType));
  return fetch(`${base}/slack/events`, { method: 'POST', body, headers: signed });
}

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  expect(text).not.toContain(TOKEN);
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

const sample = (families: Map<string, Family>, name: string, labels: Record<string, string>) =>
  families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

describe('/metrics', () => {
  it('answers 401 without the inspector token, and 401 with a wrong one', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('counts new, duplicate and refused deliveries, the ack and record times, and the effects', async () => {
    const { body, contentType } = httpForm(fixture('event_app_mention'));
    expect((await deliver(body, contentType)).status).toBe(200);
    await fake.waitFor((calls) => calls.length === 1);
    expect((await deliver(body, contentType)).status).toBe(200); // the same event_id: a duplicate
    const forged = {
      'content-type': contentType,
      'x-slack-signature': `v0=${'0'.repeat(64)}`,
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
    };
    expect((await deliver(body, contentType, forged)).status).toBe(401);

    const families = await scrape();
    const count = (labels: Record<string, string>) =>
      Number(sample(families, 'slack_router_deliveries_total', labels)?.value);
    expect(count({ kind: 'event', outcome: 'new' })).toBe(1);
    expect(count({ kind: 'event', outcome: 'duplicate' })).toBe(1);
    expect(count({ kind: 'request', outcome: 'refused', reason: 'signature_mismatch' })).toBe(1);
    expect(families.get('slack_router_ack_seconds')?.type).toBe('HISTOGRAM');
    // The parser folds a labelled histogram into its buckets (labels, sum and count dropped): the
    // `kind` label is read from the text itself.
    expect(families.get('slack_router_ack_seconds')?.metrics[0]?.buckets?.['+Inf']).toBe('2');
    const text = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(text.match(/^slack_router_ack_seconds_count\{.*$/gm)).toEqual([
      'slack_router_ack_seconds_count{kind="event"} 2',
    ]);
    expect(families.get('slack_router_record_seconds')?.metrics[0]?.count).toBe('2');
    expect(
      Number(
        sample(families, 'slack_router_effects_total', { method: 'chat.postMessage', outcome: 'done' })
          ?.value,
      ),
    ).toBe(1);
    expect(Number(sample(families, 'slack_router_outbox_effects', { status: 'pending' })?.value)).toBe(0);
    expect(families.get('slack_router_outbox_oldest_pending_seconds')?.metrics[0]?.value).toBe('0');
    expect(families.has('process_cpu_user_seconds_total')).toBe(true);
  });

  it('draws the last hour on /_inspect/charts as inline SVG, behind the same token', async () => {
    expect((await fetch(`${base}/_inspect/charts`)).status).toBe(401);
    const res = await fetch(`${base}/_inspect/charts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const id of ['chart-deliveries', 'chart-ack', 'chart-failed'])
      expect(html).toContain(`data-testid="${id}"`);
    expect(html.match(/<polyline/g)?.length).toBe(4);
    expect(html).toContain('1 deliveries, 0 effects failed');
    // The recorded row has no ack time; the ack chart draws this process's two acks (new, duplicate).
    const ack = html.match(/data-testid="chart-ack">[\s\S]*?<\/figure>/)?.[0] ?? '';
    expect(ack).toContain('Ack time: this process');
    const points = [...ack.matchAll(/points="([^"]*)"/g)].map((m) => m[1]);
    expect(points).toHaveLength(2);
    for (const line of points) expect(line).toMatch(/^\d+(\.\d)?,\d+(\.\d)?( \d+(\.\d)?,\d+(\.\d)?)?$/);
  });

  it('counts an effect that failed for good with Slack’s error code', async () => {
    fake.on('chat.postMessage', () => ({ body: { ok: false, error: 'channel_not_found' } }));
    const mention = fixture('event_app_mention');
    // A mention is keyed by its channel and ts (Slack re-sends one message under several event ids).
    const event = mention.payload.event;
    if (typeof event !== 'object' || event === null) throw new Error('the fixture has no event');
    const inner = { ...event, ts: '1764100099.000900' };
    const payload = { ...mention.payload, event_id: 'Ev0METRICSFAIL', event: inner };
    const { body, contentType } = httpForm({ ...mention, payload });
    expect((await deliver(body, contentType)).status).toBe(200);
    const failed = { method: 'chat.postMessage', outcome: 'failed', error: 'channel_not_found' };
    await expect
      .poll(async () => Number(sample(await scrape(), 'slack_router_effects_total', failed)?.value))
      .toBe(1);
  });
});
