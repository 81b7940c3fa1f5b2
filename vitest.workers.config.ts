import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// The Worker build, tested inside workerd (the Workers runtime), against a fake Slack started in Node.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          SLACK_API_URL: `${inject('fakeSlackUrl')}/api/`,
          DATABASE_URL: inject('databaseUrl'),
          SLACK_SIGNING_SECRET: 'test-signing-secret-not-real',
          SLACK_BOT_TOKEN: 'xoxb-test-bot-token',
          FAKE_SLACK_URL: inject('fakeSlackUrl'),
          PRODUCT_API_URL_FOR_TESTS: inject('productApiUrl'),
        },
      },
    })),
  ],
  test: {
    include: ['test/worker/**/*.test.ts'],
    globalSetup: ['test/worker/global-setup.ts'],
    testTimeout: 30_000,
    // postgres.js on workerd may report its socket's close as "Stream was cancelled." (STACK.md); nothing else is ignored.
    onUnhandledError: (error) => (error.message === 'Stream was cancelled.' ? false : undefined),
  },
});
