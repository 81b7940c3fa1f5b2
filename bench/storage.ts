/** Record-delivery throughput and latency on PGlite and on PostgreSQL. */
import postgres from 'postgres';
import { api } from '../src/core/action.js';
import type { NormalizedEvent } from '../src/core/event.js';
import type { DatabaseHandle } from '../src/db/database.js';
import { openDatabase } from '../src/db/open.js';
import { DeliveryRecorder, recordDelivery } from '../src/db/record.js';
import { latency, load } from './stats.js';

const event = (i: number): NormalizedEvent => ({
  kind: 'command',
  name: '/link',
  deliveryId: `bench:${Date.now()}:${i}`,
  teamId: 'T0001ACME',
  enterpriseId: null,
  userId: 'U0USER001',
  channelId: 'C0CHAN001',
  responseUrl: null,
  retryNum: 0,
  retryReason: null,
  source: 'http',
  payload: {
    command: '/link',
    text: 'acme',
    team_id: 'T0001ACME',
    channel_id: 'C0CHAN001',
    user_id: 'U0USER001',
    response_url: 'https://hooks.slack.com/commands/x',
    trigger_id: `t${i}`,
  },
});
const effects = [api('chat.postMessage', { channel: 'C0CHAN001', text: 'hello' })];

async function measure(
  label: string,
  handle: DatabaseHandle,
  concurrency: number,
  total: number,
  grouped = false,
) {
  for (let i = 0; i < 200; i++) await recordDelivery(handle.raw, event(-i - 1), effects, new Date()); // warm-up
  const recorder = new DeliveryRecorder(handle.raw);
  const record = (e: NormalizedEvent) =>
    grouped ? recorder.record(e, effects) : recordDelivery(handle.raw, e, effects, new Date());
  const { latencies, elapsedMs } = await load(total, concurrency, async (i) => {
    const result = await record(event(i));
    if (result.status !== 'recorded') throw new Error('a fresh delivery came back duplicate');
  });
  console.log(
    `  ${label.padEnd(28)} ${String(Math.round((total / elapsedMs) * 1000)).padStart(6)} deliveries/s  ${latency(latencies)}`,
  );
}

/** Runs the storage case; uses BENCH_DATABASE_URL or the local server when it answers. */
export async function benchStorage(): Promise<void> {
  console.log(
    'storage: record a delivery with one effect (one statement: dedup insert + outbox insert; grouped = group commit of what arrives together)',
  );
  const pglite = await openDatabase('memory://', { migrate: true });
  await measure('pglite (memory), 1 at a time', pglite, 1, 5_000);
  await measure('pglite (memory), 50, grouped', pglite, 50, 20_000, true);
  await pglite.close();

  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const name = `router_bench_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    console.log(`  postgres: skipped (${error instanceof Error ? error.message : error})`);
    await admin.end();
    return;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const pg = await openDatabase(url.toString(), { migrate: true, max: 10 });
    await measure('postgres, 1 at a time', pg, 1, 5_000);
    await measure('postgres, 10 concurrent', pg, 10, 20_000);
    await measure('postgres, 50 concurrent, grouped', pg, 50, 20_000, true);
    await pg.close();
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}
