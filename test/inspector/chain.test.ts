import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProduct } from '../../src/app/fake-product.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { fixture } from '../helpers/fixtures.js';
import { inspectorStack, mention } from './stack.js';

const fake = new FakeSlack();
const product = new FakeProduct([{ slug: 'acme', name: 'Acme Corp', summary: 'all green' }]);
let stack: Awaited<ReturnType<typeof inspectorStack>>;

beforeAll(async () => {
  await fake.start();
  stack = await inspectorStack(fake, { appEnv: { PRODUCT_API_URL: await product.start() } });
  await stack.database.raw(
    "insert into channel_links (team_id, channel_id, organization_id, linked_by) select 'T0001ACME', 'C0CHAN001', id, 'U0USER001' from organizations where slug = 'acme'",
    [],
  );
});
afterAll(async () => {
  await stack.close();
  await fake.stop();
  await product.stop();
});

const page = async (path: string) => {
  const res = await stack.app.request(path);
  return { status: res.status, html: await res.text() };
};

describe('a conversation in the inspector', () => {
  it("shows a delivery's chain (effects → steps → their effects), and links each step back", async () => {
    expect((await stack.deliver(mention(fixture('event_app_mention'), 7))).status).toBe(200);
    const until = Date.now() + 5_000;
    while (fake.callsOf('chat.update').length === 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      await stack.pipeline.idle();
    }
    const list = await page('/_inspect');
    const ref = /<tr data-ref="(r\d+)"[^>]*>(?:(?!<\/tr>)[\s\S])*event:app_mention/.exec(list.html)?.[1];
    const detail = await page(`/_inspect/deliveries/${ref}`);
    const chain = /<ul class="chain" data-testid="chain">[\s\S]*<\/ul>/.exec(detail.html)?.[0] ?? '';
    const text = chain
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    expect(text).toBe(
      'chat.postMessage done → step org-reply-posted (step:org-reply-posted) task orgSummary done → step org-summary-ready (step:org-summary-ready) chat.update done',
    );
    const step = /href="\/_inspect\/deliveries\/(d\d+)">org-summary-ready</.exec(chain)?.[1];
    const stepPage = await page(`/_inspect/deliveries/${step}`);
    expect(stepPage.status).toBe(200);
    expect(stepPage.html).toContain(
      'A step is not replayed on its own: replay the delivery the conversation started from.',
    );
    const origin = /<p data-testid="step-origin">([\s\S]*?)<\/p>/.exec(stepPage.html)?.[1] ?? '';
    expect(origin.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')).toBe(
      'A step of step org-reply-posted: the result of its effect #0.',
    );
  });
});
