/** A server process for the HTTP benchmark: `tsx bench/server.ts <router|bare> <port> [global-fetch]`. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linkApp } from '../src/app/index.js';
import { loadConfig } from '../src/config/settings.js';
import { openDatabase } from '../src/db/open.js';
import { createLogger } from '../src/log/logger.js';
import { startHttpServer } from '../src/runtime/node-http.js';

const [kind, port, fetchMode] = process.argv.slice(2);
const secret = process.env.SLACK_SIGNING_SECRET ?? '';

if (kind === 'bare') {
  // The floor: check the signature and answer 200, nothing else.
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-slack-request-timestamp']);
      const expected = Buffer.from(
        `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
      );
      const got = Buffer.from(String(req.headers['x-slack-signature']));
      const ok = got.length === expected.length && timingSafeEqual(got, expected);
      res.writeHead(ok ? 200 : 401).end();
    });
  }).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
} else {
  // No DATABASE_URL: the embedded database on disk, as `npm run dev:http` uses it, in a fresh directory.
  if (!process.env.DATABASE_URL) process.chdir(mkdtempSync(join(tmpdir(), 'bench-http-')));
  const config = loadConfig({ ...process.env, PORT: port });
  const database = await openDatabase(config.DATABASE_URL, { migrate: true });
  const app = linkApp();
  const server = await startHttpServer({
    app,
    settings: app.settings(process.env),
    config,
    database,
    logger: createLogger('error'),
    globalFetch: fetchMode === 'global-fetch',
  });
  process.send?.('ready');
  process.on('message', async (message) => {
    if (message === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
}
