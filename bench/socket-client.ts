/** A Socket Mode client process for the benchmark: `tsx bench/socket-client.ts <bare|shim|replica>`. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { linkApp } from '../src/app/index.js';
import { loadConfig } from '../src/config/settings.js';
import { openDatabase } from '../src/db/open.js';
import { createLogger } from '../src/log/logger.js';
import { startSocketShim } from '../src/runtime/socket-shim.js';

const [kind] = process.argv.slice(2);
const apiUrl = process.env.SLACK_API_URL ?? '';

if (kind === 'bare') {
  // The floor: ack each envelope on receipt, do nothing else.
  const response = await fetch(`${apiUrl}apps.connections.open`, {
    method: 'POST',
    headers: { authorization: 'Bearer xapp-bench' },
  });
  const { url } = (await response.json()) as { url: string };
  const socket = new WebSocket(url);
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type?: string; envelope_id?: string };
    if (frame.type === 'hello') process.send?.('ready');
    if (frame.envelope_id) socket.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: {} }));
  });
} else if (kind === 'replica') {
  // One of several processes on one PostgreSQL (DATABASE_URL), as `npm run start:socket` replicas run.
  const config = loadConfig({ ...process.env, SLACK_APP_TOKEN: 'xapp-bench', SLACK_BOT_TOKEN: 'xoxb-bench' });
  const database = await openDatabase(config.DATABASE_URL);
  const app = linkApp();
  const shim = await startSocketShim({
    app,
    settings: app.settings(process.env),
    config,
    database,
    logger: createLogger('error'),
    onFatal: () => process.exit(1),
  });
  process.send?.('ready');
  // A rolling restart: SIGTERM finishes what runs, gives the slots back, exits.
  process.once('SIGTERM', async () => {
    await shim.stop();
    await database.close();
    process.exit(0);
  });
} else {
  // The embedded database on disk, as `npm run dev:socket` uses it (BENCH_PGLITE=memory for in-memory).
  const url = process.env.BENCH_PGLITE === 'memory' ? 'memory://' : undefined;
  if (!url) process.chdir(mkdtempSync(join(tmpdir(), 'bench-shim-')));
  const config = loadConfig({ ...process.env, SLACK_APP_TOKEN: 'xapp-bench', SLACK_BOT_TOKEN: 'xoxb-bench' });
  const database = await openDatabase(url, { migrate: true });
  const app = linkApp();
  const shim = await startSocketShim({
    app,
    settings: app.settings(process.env),
    config,
    database,
    logger: createLogger('error'),
    onFatal: () => process.exit(1),
  });
  process.send?.('ready');
  process.on('message', async (message) => {
    if (message === 'stop') {
      await shim.stop();
      process.exit(0);
    }
  });
}
