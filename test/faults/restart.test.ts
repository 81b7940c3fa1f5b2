import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { SIGNING_SECRET } from '../../src/testing/signing.js';
import { BOT_TOKEN } from '../helpers/http-stack.js';
import { freePort, mentionTs, sendMentions } from '../helpers/mentions.js';
import { type Spawned, spawnScript } from '../helpers/spawn.js';

const MENTIONS = 300;
const SLOW_MS = 400;
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) console.info('TEST_DATABASE_URL is not set: the kill -9 restart test runs on PGlite only');

const fake = new FakeSlack();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

/** The thread of each chat.postMessage the fake answered, with how many times. */
function repliesByThread(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of fake.callsOf('chat.postMessage')) {
    const ts = String(call.args.thread_ts);
    counts.set(ts, (counts.get(ts) ?? 0) + 1);
  }
  return counts;
}

/** The threads whose reply the outbox had marked done (read after the kill, before the restart). */
async function doneThreads(databaseUrl: string | undefined, cwd: string): Promise<Set<string>> {
  const handle = await openDatabase(databaseUrl ?? `memory://`, {}).catch(() => null);
  if (databaseUrl) {
    if (!handle) throw new Error('cannot open the test database');
    const rows = (await handle.raw(
      `select action->'args'->>'thread_ts' as ts from outbox where status = 'done'`,
      [],
    )) as { ts: string }[];
    await handle.close();
    return new Set(rows.map((r) => r.ts));
  }
  await handle?.close();
  // PGlite on disk: the killed process left its lock file; openPglite sees its pid is gone.
  const { openPglite } = await import('../../src/db/pglite.js');
  const disk = await openPglite(join(cwd, '.data/pglite'));
  const rows = (await disk.raw(
    `select action->'args'->>'thread_ts' as ts from outbox where status = 'done'`,
    [],
  )) as {
    ts: string;
  }[];
  await disk.close();
  return new Set(rows.map((r) => r.ts));
}

const databases: [string, () => Promise<{ url: string | undefined; drop(): Promise<void> }>][] = [
  ['PGlite on disk', async () => ({ url: undefined, drop: async () => {} })],
];
if (adminUrl) {
  databases.push([
    'PostgreSQL',
    async () => {
      const name = `router_restart_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
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
    },
  ]);
}

describe.each(databases)('kill -9 with effects in flight, then a restart (%s)', (_name, create) => {
  it('sends every pending reply within 2 s of ready, and none marked done twice', async () => {
    const db = await create();
    const cwd = mkdtempSync(join(tmpdir(), 'restart-'));
    const port = await freePort();
    const env: Record<string, string> = {
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      // 300 replies in one channel: this test is about crash recovery, not Slack's limits (not paced).
      SLACK_RATE_LIMITS: 'off',
      PORT: String(port),
      ...(db.url ? { DATABASE_URL: db.url } : {}),
    };
    fake.reset();
    fake.on('chat.postMessage', () => ({ delayMs: SLOW_MS }));
    const processes: Spawned[] = [];
    try {
      const first = spawnScript('src/runtime/node.ts', env, cwd);
      processes.push(first);
      await first.waitFor('listening on', 120_000);
      const answers = await sendMentions(`http://127.0.0.1:${port}/slack/events`, { from: 0, to: MENTIONS });
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      await fake.waitFor((calls) => calls.length >= 40, 20_000);
      first.child.kill('SIGKILL');
      await first.exited;
      // Calls already at the fake when the process died finish there (their reply reached "Slack").
      await new Promise((resolve) => setTimeout(resolve, SLOW_MS + 100));
      const before = repliesByThread();
      const done = await doneThreads(db.url, cwd);
      const pending = MENTIONS - before.size;
      expect(pending).toBeGreaterThan(100); // most replies were still to send at the kill

      const second = spawnScript('src/runtime/node.ts', env, cwd);
      processes.push(second);
      await second.waitFor('listening on', 120_000);
      const ready = Date.now();
      const all = Array.from({ length: MENTIONS }, (_, n) => mentionTs(n));
      await fake.waitFor(() => {
        const now = repliesByThread();
        return all.every((ts) => (now.get(ts) ?? 0) > 0);
      }, 20_000);
      const allSentMs = Date.now() - ready;
      const after = repliesByThread();
      const lateArrivals = fake
        .callsOf('chat.postMessage')
        .filter((c) => !before.has(String(c.args.thread_ts)))
        .map((c) => c.at - ready);
      const twice = all.filter((ts) => (after.get(ts) ?? 0) > 1);
      console.info(
        `${_name}: ${pending} pending at the kill, ${done.size} marked done; all sent ${allSentMs} ms after ready (calls reached the fake from +${Math.min(...lateArrivals)} to +${Math.max(...lateArrivals)} ms); ${twice.length} sent twice (in flight at the kill)`,
      );
      // "Has run": the call reached Slack within 2 s of ready (its answer takes SLOW_MS more).
      expect(Math.max(...lateArrivals)).toBeLessThanOrEqual(2_000);
      expect(all.filter((ts) => (after.get(ts) ?? 0) === 0)).toEqual([]); // none lost
      expect(twice.filter((ts) => done.has(ts))).toEqual([]); // none marked done runs again
      expect(Math.max(...all.map((ts) => after.get(ts) ?? 0))).toBeLessThanOrEqual(2);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      for (const p of processes)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
      await db.drop();
    }
  }, 400_000);
});
