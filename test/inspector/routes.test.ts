import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { inspectorStack, mention } from './stack.js';

const fake = new FakeSlack();
let stack: Awaited<ReturnType<typeof inspectorStack>>;

beforeAll(async () => {
  await fake.start();
  stack = await inspectorStack(fake);
});
afterAll(async () => {
  await stack.close();
  await fake.stop();
});
afterEach(() => fake.reset());

const page = async (path: string, init?: RequestInit) => {
  const res = await stack.app.request(path, init);
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
};
const post = (path: string, form: Record<string, string> = {}) =>
  page(path, { method: 'POST', body: new URLSearchParams(form) });

describe('the inspector on a loopback dev process', () => {
  it('lists a mention with its handler, dedup outcome and effect, and shows it redacted', async () => {
    expect((await stack.deliver(mention(fixture('event_app_mention'), 1))).status).toBe(200);
    await stack.pipeline.idle();
    const list = await page('/_inspect');
    expect(list.status).toBe(200);
    const row = /<tr data-ref="(r\d+)" data-status="([^"]+)">/.exec(list.html);
    expect(row?.[2]).toBe('ok');
    expect(list.html).toContain('event:app_mention');
    expect(list.html).toContain('<span data-testid="last-hour">last hour: ok 1</span>');
    expect(list.html).toContain('<span data-testid="effects-last-hour">effects: done 1</span>');
    expect(list.html).toContain('chat.postMessage');
    const detail = await page(`/_inspect/deliveries/${row?.[1]}`);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain('Ev0MENTION001');
    expect(detail.html).toContain('question 1');
    expect(detail.html).toContain('[redacted]'); // the verification token
    expect(detail.html).not.toContain('fake-verification-token');
    expect(detail.html).not.toContain(BOT_TOKEN);
  });

  it('shows a failed effect with Slack’s error, and Retry then a drain makes it done', async () => {
    fake.on('chat.postMessage', () => ({ body: { ok: false, error: 'channel_not_found' } }));
    await stack.deliver(mention(fixture('event_app_mention'), 2));
    await stack.pipeline.idle();
    const failed = await page('/_inspect?status=failed');
    expect(failed.html).toContain('channel_not_found');
    expect(failed.html.match(/data-status="failed"/g)?.length).toBe(1);
    const outbox = await page('/_inspect/outbox');
    const id = /data-effect="(\d+)"/.exec(outbox.html)?.[1];
    expect(outbox.html).toContain('channel_not_found');
    fake.reset();
    const retried = await post(`/_inspect/outbox/${id}/retry`);
    expect([retried.status, retried.location]).toEqual([
      303,
      `/_inspect/outbox?notice=${encodeURIComponent(`Effect ${id} is pending again; the next drain runs it.`)}`,
    ]);
    expect((await stack.pipeline.drain()).done).toBe(1);
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    expect((await page('/_inspect?status=failed')).html).not.toContain('data-status="failed"');
    expect((await page('/_inspect/outbox')).html).toContain('Nothing waiting');
  });

  it('replays a handled mention as a new delivery, and a dry run runs nothing', async () => {
    await stack.deliver(mention(fixture('event_app_mention'), 3));
    await stack.pipeline.idle();
    fake.reset();
    const list = await page('/_inspect?text=question%203');
    const ref = /data-ref="(r\d+)"/.exec(list.html)?.[1];
    const dry = await post(`/_inspect/deliveries/${ref}/replay`, { mode: 'dry-run' });
    expect(dry.html).toContain('chat.postMessage');
    expect(dry.html).toContain('Nothing was recorded or run');
    expect(fake.callsOf('chat.postMessage')).toHaveLength(0);
    const run = await post(`/_inspect/deliveries/${ref}/replay`, { mode: 'run' });
    expect(run.status).toBe(303);
    expect(decodeURIComponent(run.location ?? '')).toContain(
      'Replayed as replay:app_mention:T0001ACME:C0CHAN001:1764100000.000003:1.',
    );
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    const again = await post(`/_inspect/deliveries/${ref}/replay`, { mode: 'run' });
    expect(decodeURIComponent(again.location ?? '')).toContain(
      'Replayed as replay:app_mention:T0001ACME:C0CHAN001:1764100000.000003:2.',
    );
    expect(fake.callsOf('chat.postMessage')).toHaveLength(2);
  });

  it('filters by kind, team, channel and text', async () => {
    const count = async (q: string) =>
      ((await page(`/_inspect?${q}`)).html.match(/<tr data-ref=/g) ?? []).length;
    const all = await count('');
    expect(all).toBe(5); // three mentions and two replays
    expect(await count('kind=command')).toBe(0);
    expect(await count('kind=event')).toBe(all);
    expect(await count('team=T0001ACME')).toBe(all);
    expect(await count('team=T0OTHER')).toBe(0);
    expect(await count('channel=C0CHAN001')).toBe(all);
    expect(await count('text=question%202')).toBe(1);
    expect(await count('text=question%203')).toBe(3);
  });

  it('saves a delivery as a fixture in the test format, redacted', async () => {
    const list = await page('/_inspect?text=question%201');
    const ref = /data-ref="(r\d+)"/.exec(list.html)?.[1];
    const res = await stack.app.request(`/_inspect/deliveries/${ref}/fixture.json`);
    const saved = (await res.json()) as { kind: string; payload: { token: string; event_id: string } };
    expect([saved.kind, saved.payload.token, saved.payload.event_id]).toEqual([
      'events_api',
      '[redacted]',
      'Ev0MENTION001',
    ]);
  });

  it('refuses a form posted from another origin', async () => {
    const res = await page('/_inspect/outbox/retry-failed', {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: new URLSearchParams({ since: '1h' }),
    });
    expect(res.status).toBe(403);
  });

  it('shows a banner naming the team while Slack rate-limits the app (app_rate_limited in the last hour)', async () => {
    expect((await page('/_inspect')).html).not.toContain('data-testid="rate-limited"');
    expect((await stack.deliver(fixture('app_rate_limited'))).status).toBe(200);
    const banner = /<p class="warn" data-testid="rate-limited">([\s\S]*?)<\/p>/.exec(
      (await page('/_inspect')).html,
    );
    expect(banner?.[1]?.replace(/\s+/g, ' ')).toMatch(
      /^Slack rate-limited this app(?:'|&#39;)s events in the last hour \(app_rate_limited: .*\): T0001ACME at \d\d:\d\d UTC\. Subscribe to fewer events in manifest\.yaml\.$/,
    );
  });
  // Last: its lane stays slowed for 30 s.
  it('shows a rate-limit lane Slack slowed, and until when', async () => {
    // Slack answers the reply 429 with a long Retry-After: the lane waits; the effect goes back to the outbox.
    fake.on('chat.postMessage', () => ({ status: 429, headers: { 'retry-after': '30' } }));
    await stack.deliver(mention(fixture('event_app_mention'), 9));
    await stack.pipeline.idle();
    const outbox = await page('/_inspect/outbox');
    expect(outbox.html).toMatch(/<td>T0001ACME:post:C0CHAN001<\/td><td>[^<]+\(in (2\d|30)(\.\d)? s\)/);
    fake.reset();
  });
});
