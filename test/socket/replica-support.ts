import postgres from 'postgres';
import type { DatabaseHandle } from '../../src/db/database.js';
import { holdOwnerLock, newOwnerId, type OwnerLock } from '../../src/db/locks.js';
import { openDatabase } from '../../src/db/open.js';
import { socketSlots } from '../../src/runtime/socket-slots.js';
import { SocketPool } from '../../src/socket/pool.js';
import type { FakeSlack } from '../../src/testing/fake-slack.js';
import { APP_TOKEN } from '../helpers/socket-stack.js';

/** A fresh, migrated PostgreSQL database on the server `adminUrl` names, and how to drop it. */
export async function freshDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `router_socket_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const migrated = await openDatabase(url.toString(), { migrate: true });
  await migrated.close();
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/** One replica in this process: its own database pool, owner lock and SocketPool, acking every envelope. */
export interface Replica {
  pool: SocketPool;
  lock: OwnerLock;
  database: DatabaseHandle;
  stop(): Promise<void>;
}

export async function startReplica(url: string, fake: FakeSlack, lines: string[] = []): Promise<Replica> {
  const database = await openDatabase(url);
  const lock = await holdOwnerLock(url, newOwnerId());
  const log = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  const pool = new SocketPool({
    appToken: APP_TOKEN,
    slackApiUrl: fake.apiUrl,
    logger: { debug() {}, info: log('info'), warn: log('warn'), error: log('error') },
    onEnvelope: ({ ack }) => void ack(),
    onFatal: (error) => lines.push(`fatal ${error.message}`),
    ...socketSlots(database, lock),
  });
  await pool.start();
  return {
    pool,
    lock,
    database,
    async stop() {
      await pool.stop();
      await lock.release();
      await database.close();
    },
  };
}

/** Polls `condition` every 50 ms for up to `ms`. */
export async function until(condition: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  for (const end = Date.now() + ms; !condition(); ) {
    if (Date.now() > end) throw new Error(`${what}: not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
