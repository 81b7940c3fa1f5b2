/**
 * `npm run fake:product`: a stand-in for the product's API on 127.0.0.1 (PORT_PRODUCT, default 3002),
 * so a mention's summary flow runs on a laptop: set PRODUCT_API_URL to the URL it prints.
 */
import { FakeProduct } from '../src/app/fake-product.js';
import { runMain } from '../src/runtime/cli.js';

runMain(async () => {
  const product = new FakeProduct([
    { slug: 'acme', name: 'Acme Corp', summary: '12 projects, 3 open incidents' },
    { slug: 'globex', name: 'Globex & Sons', summary: '4 projects, all green' },
  ]);
  const url = await product.start(Number(process.env.PORT_PRODUCT ?? 3002));
  console.log(`fake product API: ${url} (PRODUCT_API_URL=${url}); acme and globex have summaries`);
  process.once('SIGINT', () => void product.stop().then(() => process.exit(0)));
});
