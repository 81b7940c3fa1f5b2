import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture } from '../helpers/fixtures.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { inspectorStack, mention } from './stack.js';

// Debian's chromium, driven by playwright-core (no browser download). .ci/run installs it.
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present)
  console.info(`skipped the inspector's browser test: ${CHROMIUM} is absent (apt-get install -y chromium)`);
// The README's screenshots are written only when asked (INSPECTOR_SCREENSHOTS=1): a test run leaves the tree as it was.
const docs = process.env.INSPECTOR_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/', import.meta.url))
  : `${mkdtempSync(join(tmpdir(), 'inspector-shots-'))}/`;
/** A token a user pasted into a message: it must never reach the page. */
const PASTED = 'xoxb-1234-5678-pastedsecret';

describe.skipIf(!present)('the inspector in a real browser', () => {
  const fake = new FakeSlack();
  let stack: Awaited<ReturnType<typeof inspectorStack>>;
  let browser: Browser;
  let page: Page;
  const html: string[] = [];
  const rows = () => page.locator('tbody#rows tr[data-ref]');
  const keep = async () => html.push(await page.content());

  beforeAll(async () => {
    await fake.start();
    stack = await inspectorStack(fake);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await fake.stop();
  });

  it('shows mentions as they arrive, without a reload', async () => {
    await page.goto(`${stack.url}/_inspect`);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await keep();
    expect(await page.locator('tbody#rows').innerText()).toBe('No deliveries yet.');
    await stack.deliver(mention(fixture('event_app_mention'), 1));
    await stack.deliver(mention(fixture('event_app_mention'), 2, `<@U0BOT0001> my token is ${PASTED}`));
    await expect.poll(() => rows().count()).toBe(2);
    await expect.poll(() => page.locator('tr[data-status="ok"]').count()).toBe(2);
    await keep();
  });

  it('shows a failed effect with Slack’s error', async () => {
    fake.on('chat.postMessage', () => ({ body: { ok: false, error: 'channel_not_found' } }));
    await stack.deliver(mention(fixture('event_app_mention'), 3));
    await expect.poll(() => page.locator('tr[data-status="failed"]').count()).toBe(1);
    expect(await page.locator('tr[data-status="failed"]').getAttribute('data-ref')).toBe('r3');
    await keep();
    await page.reload(); // the header's counts are drawn with the page
    await page.locator('#live', { hasText: 'live' }).waitFor();
    await page.screenshot({ path: `${docs}inspector-list.png` });
    await page.locator('tr[data-status="failed"] a').click();
    await page.waitForURL(/\/_inspect\/deliveries\/r3$/);
    expect(await page.locator('[data-testid=effects] td.err').innerText()).toBe('channel_not_found');
    await keep();
    await page.screenshot({ path: `${docs}inspector-delivery.png`, fullPage: true });
  });

  it('retries the failed effect once Slack is fixed; the next drain makes it done', async () => {
    fake.reset();
    await page.goto(`${stack.url}/_inspect/outbox`);
    expect(await page.locator('[data-testid=outbox] td.err').innerText()).toBe('channel_not_found');
    await page.getByRole('button', { name: 'Retry', exact: true }).click();
    await page.locator('p.warn', { hasText: 'is pending again' }).waitFor();
    await keep();
    expect(await stack.pipeline.drain()).toEqual({ done: 1, retried: 0, failed: 0, pruned: 0 });
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    await page.goto(`${stack.url}/_inspect/deliveries/r3`);
    expect(await page.locator('[data-testid=effects] tbody tr td:nth-child(3)').innerText()).toBe('done');
    expect(await page.locator('[data-testid=effects] tbody tr td:nth-child(4)').innerText()).toBe(
      '1 (manual retries: 1)',
    );
  });

  it('replays a handled mention: it posts once more', async () => {
    fake.reset();
    await page.goto(`${stack.url}/_inspect/deliveries/r1`);
    await page.getByRole('button', { name: 'Replay dry-run' }).click();
    expect(await page.locator('[data-testid=dry-run-actions]').innerText()).toContain(
      '"method": "chat.postMessage"',
    );
    expect(fake.callsOf('chat.postMessage')).toHaveLength(0);
    await page.goto(`${stack.url}/_inspect/deliveries/r1`);
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.locator('p.warn', { hasText: 'Replayed as replay:' }).waitFor();
    await keep();
    expect(fake.callsOf('chat.postMessage')).toHaveLength(1);
    expect(fake.callsOf('chat.postMessage')[0]?.args.thread_ts).toBe('1764100000.000001');
  });

  it('filters the list by status, kind and text, without JavaScript', async () => {
    await page.goto(`${stack.url}/_inspect`);
    expect(await rows().count()).toBe(4); // three mentions and one replay
    await page.locator('input[name=text]').fill('my token');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/text=my\+token/);
    expect(await rows().getAttribute('data-ref')).toBe('r2');
    await page.goto(`${stack.url}/_inspect`);
    await page.locator('select[name=kind]').selectOption('command');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/kind=command/);
    expect(await rows().count()).toBe(0);
    await page.goto(`${stack.url}/_inspect?status=ok`);
    expect(await rows().count()).toBe(4);
    await page.goto(`${stack.url}/_inspect/deliveries/r2`);
    await keep();
  });

  it('never puts a token in the HTML', () => {
    expect(html.length).toBeGreaterThan(6);
    for (const text of html) {
      expect(text).not.toContain(BOT_TOKEN);
      expect(text).not.toContain(PASTED);
      expect(text).not.toContain('fake-verification-token');
    }
    expect(html.at(-1)).toContain('my token is xoxb-…');
  });
});
