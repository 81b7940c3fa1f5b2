import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fairShare } from '../../src/socket/pool.js';
import { FakeSlack } from '../../src/testing/fake-slack.js';
import { freshDatabase, type Replica, startReplica, until } from './replica-support.js';

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) console.info('skipped "Socket Mode replicas": TEST_DATABASE_URL is not set');

describe('the fair share of Slack’s 10 connections', () => {
  it('is 2 to 5 per process, one slot kept spare for refreshes while there is room', () => {
    expect([1, 2, 3, 4, 5, 6].map(fairShare)).toEqual([5, 4, 3, 2, 2, 2]);
  });
});

describe.skipIf(!adminUrl)('Socket Mode replicas on one PostgreSQL', { timeout: 120_000 }, () => {
  const fake = new FakeSlack();
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const replicas: Replica[] = [];
  const lines: string[] = [];
  const counts = () => replicas.map((r) => r.pool.status().here);

  beforeAll(async () => {
    await fake.start();
    database = await freshDatabase(adminUrl ?? '');
  });
  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await fake.stop();
    await database.drop();
  });

  it('share the slots: three processes started together hold 3 connections each, staggered, none refused', async () => {
    replicas.push(...(await Promise.all([1, 2, 3].map(() => startReplica(database.url, fake, lines)))));
    await until(() => counts().every((n) => n === 3), 30_000, `3 each (${counts()})`);
    expect(fake.openSockets()).toHaveLength(9);
    expect(fake.refused).toBe(0);
    expect(fake.peakConnections).toBeLessThanOrEqual(10);
    const opened = fake
      .callsOf('apps.connections.open')
      .map((c) => c.at)
      .sort((a, b) => a - b);
    // Slot claims are spaced 300 ms apart across processes; the opens follow them.
    expect(opened.slice(1).every((at, i) => at - (opened[i] ?? 0) >= 200)).toBe(true);
    await until(() => replicas[0]?.pool.status().total === 9, 5_000, 'the group seen by the next look');
    expect(replicas[0]?.pool.status()).toMatchObject({ state: 'connected', here: 3, total: 9, processes: 3 });
  });

  it('spreads envelopes over every connection, and every one is acked', async () => {
    fake.reset();
    for (let i = 0; i < 90; i++)
      fake.sendEnvelope({ envelope_id: `spread-${i}`, type: 'events_api', payload: {} });
    await until(() => fake.unacked().length === 0, 20_000, 'all acked');
    const used = new Set([...fake.envelopes.values()].map((e) => e.connection));
    expect(used.size).toBe(9);
  });

  it('takes the slots of a process that leaves, and gives one back to a process that joins', async () => {
    const leaving = replicas.pop();
    await leaving?.stop();
    await until(() => counts().every((n) => n === 4), 30_000, `4 each (${counts()})`);
    replicas.push(await startReplica(database.url, fake, lines));
    await until(() => counts().every((n) => n === 3), 30_000, `3 each again (${counts()})`);
    expect(fake.refused).toBe(0);
    expect(fake.peakConnections).toBeLessThanOrEqual(10);
  });

  it('fills up to 10 with five processes, and a sixth stands by', async () => {
    replicas.push(
      await startReplica(database.url, fake, lines),
      await startReplica(database.url, fake, lines),
    );
    await until(() => counts().every((n) => n === 2), 30_000, `2 each (${counts()})`);
    const sixth = await startReplica(database.url, fake, lines);
    replicas.push(sixth);
    expect(sixth.pool.status()).toMatchObject({ state: 'standing by', here: 0, total: 10, processes: 6 });
    expect(fake.openSockets()).toHaveLength(10);
    expect(fake.refused).toBe(0);
    expect(fake.peakConnections).toBeLessThanOrEqual(10);
    expect(lines).toContain('info socket: standing by: every slot is held, 10 in all across 6 processes');
  });
});
