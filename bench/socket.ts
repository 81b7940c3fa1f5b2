/** The Socket Mode shim under load, against the fake Slack, with a bare acking client measured in the same run. */
import { type ChildProcess, fork } from 'node:child_process';
import postgres from 'postgres';
import { openDatabase } from '../src/db/open.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { cpuSecondsOf, latency, median, mentionCallback, percentile } from './stats.js';

const BURST = 2_000;
/** Bursts measured after one unmeasured warm-up burst; the median is quoted. */
const BURSTS = 5;
const RATE = 500;
const STEADY_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
/**
 * Each phase's run id, digits only: it becomes the fraction of every message's ts, which must look like
 * Slack's (digits, a dot, digits) or the envelope is acked and dropped as invalid.
 */
const STAMP = String(Date.now() % 1e6).padStart(6, '0');
const runId = (phase: number, n = 0) => `${STAMP}${phase}${n}`;
const BARE = 1;
const SHIM = 2;
const STEADY = 3;
const REFRESH = 4;
const KILL = 5;
const ROLLING = 6;
const STEADY3 = 7;
const STEADY1 = 8;

/** As Slack does, an envelope left unacked this long is sent again (the shim refuses what it cannot record in time). */
const REDELIVER_MS = 3_000;

/**
 * Mention `i` of `run`; `spread`: each in a channel of its own, as a busy app's mentions come from
 * many channels, so Slack's posting budget of about 1 a second per channel stays out of the measure.
 */
function envelope(i: number, run: string, spread = false) {
  const payload = mentionCallback(i, run);
  if (spread) payload.event.channel = `C${String(i).padStart(9, '0')}`;
  return {
    envelope_id: `env-${run}-${i}`,
    type: 'events_api',
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
    payload,
  };
}

async function client(kind: 'bare' | 'shim', fake: FakeSlack): Promise<ChildProcess> {
  const child = fork('bench/socket-client.ts', [kind], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SLACK_API_URL: fake.apiUrl, SLACK_RATE_LIMITS: 'off', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} client exited with ${code}`)));
  });
  return child;
}

/** Envelopes sent again because they were left unacked for REDELIVER_MS, since the start. */
let redelivered = 0;

/** Waits until every envelope sent since the last reset is acked, sending again those unacked for REDELIVER_MS. */
async function allAcked(fake: FakeSlack, timeoutMs: number): Promise<void> {
  const lastSent = new Map<string, number>();
  const end = Date.now() + timeoutMs;
  for (let open = fake.unacked(); open.length > 0; open = fake.unacked()) {
    const now = Date.now();
    if (now > end) throw new Error(`socket: ${open.length} envelopes still unacked after ${timeoutMs} ms`);
    for (const sent of open) {
      const id = sent.envelope.envelope_id;
      if (now - (lastSent.get(id) ?? sent.sentAt) < REDELIVER_MS) continue;
      lastSent.set(id, now);
      redelivered++;
      fake.sendEnvelope(sent.envelope);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One burst: every envelope written at once; acks/s from the first write to the last ack. */
async function burst(fake: FakeSlack, run: string, withEffects: boolean): Promise<number> {
  fake.reset();
  const started = Date.now();
  for (let i = 0; i < BURST; i++) fake.sendEnvelope(envelope(i, run));
  await allAcked(fake, 120_000);
  const last = Math.max(...fake.acks.map((a) => a.at));
  // The next burst starts once this one's effects have all reached the fake.
  if (withEffects) await fake.waitFor((calls) => calls.length >= BURST, 120_000);
  return BURST / ((last - started) / 1000);
}

/** A warm-up burst (returned as `cold`), then `BURSTS` measured ones. */
async function bursts(fake: FakeSlack, phase: number, pid: number | undefined, withEffects: boolean) {
  const cold = await burst(fake, runId(phase, 9), withEffects);
  const rates: number[] = [];
  const cpu: number[] = [];
  const posts = { total: 0, distinct: 0 };
  for (let b = 0; b < BURSTS; b++) {
    const before = cpuSecondsOf(pid);
    rates.push(await burst(fake, runId(phase, b), withEffects));
    cpu.push(((cpuSecondsOf(pid) - before) / BURST) * 1e6);
    const threads = fake.callsOf('chat.postMessage').map((c) => String(c.args.thread_ts));
    posts.total += threads.length;
    posts.distinct += new Set(threads).size;
  }
  return { cold, rate: median(rates), rates, cpu: median(cpu), posts };
}

async function steady(
  fake: FakeSlack,
  run: string,
  ms: number,
  rate: number,
  spread = false,
): Promise<number[]> {
  const perTick = rate / 100;
  let i = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let k = 0; k < perTick; k++) fake.sendEnvelope(envelope(i++, run, spread));
    await new Promise((r) => setTimeout(r, 10));
  }
  await allAcked(fake, 60_000);
  return [...fake.envelopes.values()].map((e) => (e.ack?.at ?? Number.NaN) - e.sentAt);
}

/** Runs the Socket Mode case; `BENCH_SOCKET=replicas` runs only the replicas on PostgreSQL. */
export async function benchSocket(): Promise<void> {
  if (process.env.BENCH_SOCKET === 'replicas') return benchReplicas();
  await benchOneProcess();
  await benchReplicas();
}

async function benchOneProcess(): Promise<void> {
  console.log(
    `socket: burst of ${BURST} app_mention envelopes; steady ${RATE}/s for ${STEADY_MS / 1000} s; a refresh_requested`,
  );
  const fake = await new FakeSlack().start();

  const bare = await client('bare', fake);
  const bareRun = await bursts(fake, BARE, bare.pid, false);
  bare.kill();

  const shim = await client('shim', fake);
  redelivered = 0;
  const shimRun = await bursts(fake, SHIM, shim.pid, true);
  const burstRedelivered = redelivered;
  const rates = (r: number[]) => r.map((x) => x.toFixed(0)).join(', ');
  console.log(
    `  bare ws client (ack on receipt)   ${bareRun.rate.toFixed(0)} acks/s (median of ${BURSTS}: ${rates(bareRun.rates)}), ${bareRun.cpu.toFixed(0)} µs CPU per envelope`,
  );
  console.log(
    `  shim, PGlite, record → ack → run  ${shimRun.rate.toFixed(0)} acks/s (${((shimRun.rate / bareRun.rate) * 100).toFixed(0)}% of bare; median of ${BURSTS}: ${rates(shimRun.rates)}; first burst, cold: ${shimRun.cold.toFixed(0)}), ${shimRun.cpu.toFixed(0)} µs CPU per envelope (one core: at most ${(1e6 / shimRun.cpu).toFixed(0)}/s); chat.postMessage received ${shimRun.posts.total} for ${BURSTS * BURST}, distinct ${shimRun.posts.distinct}; ${burstRedelivered} envelopes sent again (unacked after ${REDELIVER_MS / 1000} s)`,
  );
  fake.reset();

  redelivered = 0;
  const lat = await steady(fake, runId(STEADY), STEADY_MS, RATE);
  console.log(
    `  steady ${RATE}/s: ack latency (fake's first write → ack) ${latency(lat)}; ${redelivered} sent again`,
  );
  fake.reset();

  // A refresh while envelopes flow at 100/s: the time no socket was open, and the switch-over.
  const before = fake.connections;
  const flowing = steady(fake, runId(REFRESH), 2_000, 100);
  await new Promise((r) => setTimeout(r, 500));
  const asked = Date.now();
  fake.disconnect('refresh_requested', 1_000);
  await fake.waitFor(() => fake.connections > before, 10_000);
  const switched = Date.now() - asked;
  await flowing;
  const noSocket = fake.gaps.reduce((ms, [from, to]) => ms + ((to ?? Date.now()) - from), 0);
  const sent = fake.envelopes.size;
  await fake
    .waitFor(
      (calls) => calls.filter((c) => String(c.args.thread_ts).endsWith(`.${runId(REFRESH)}`)).length >= sent,
      30_000,
    )
    .catch(() => {});
  const threads = fake
    .callsOf('chat.postMessage')
    .map((c) => String(c.args.thread_ts))
    .filter((ts) => ts.endsWith(`.${runId(REFRESH)}`));
  const refreshPosts = new Set(threads).size;
  const twice = threads.length - refreshPosts;
  console.log(
    `  refresh_requested: ${noSocket} ms without a socket; new connection up ${switched} ms after the frame; ${refreshPosts} of ${sent} envelopes handled, ${twice} twice, ${fake.unacked().length} unacked`,
  );
  shim.send('stop');
  await new Promise((r) => shim.once('exit', r));
  await fake.stop();
}

// Replicas: several shim processes on one PostgreSQL, sharing Slack's 10 connections.

const REPLICA_EVENTS = 2_000;
const KILL_AFTER = 1_000;
/** Envelopes pushed per second during the kill -9 burst. */
const BURST_RATE = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function replica(fake: FakeSlack, url: string): Promise<ChildProcess> {
  const child = fork('bench/socket-client.ts', ['replica'], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      SLACK_API_URL: fake.apiUrl,
      SLACK_RATE_LIMITS: 'off',
      DATABASE_URL: url,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`replica exited with ${code}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

async function connections(fake: FakeSlack, n: number, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  while (fake.openSockets().length !== n) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`replicas: ${fake.openSockets().length} connections, not ${n}`);
    await sleep(20);
  }
  return Date.now() - started;
}

/** Pushes envelopes `from` … `from + count - 1` at `rate`/s; `at(i)` runs before envelope i. */
async function push(
  fake: FakeSlack,
  run: string,
  count: number,
  rate: number,
  at?: (i: number) => void,
  from = 0,
) {
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    at?.(i);
    fake.sendEnvelope(envelope(from + i, run, true));
    const due = started + ((i + 1) * 1000) / rate;
    if (due - Date.now() > 2) await sleep(due - Date.now());
  }
}

/** What became of `count` envelopes of `run`: lost, repeated calls, acks, connections. */
async function outcome(fake: FakeSlack, run: string, count: number, since: number) {
  await allAcked(fake, 120_000);
  const mine = () =>
    fake.callsOf('chat.postMessage').filter((c) => String(c.args.thread_ts).endsWith(`.${run}`));
  const distinct = () => new Set(mine().map((c) => c.args.thread_ts)).size;
  for (const end = Date.now() + 60_000; distinct() < count && Date.now() < end; ) await sleep(100);
  const posts = mine();
  const first = new Map<unknown, number>();
  for (const post of posts) if (!first.has(post.args.thread_ts)) first.set(post.args.thread_ts, post.at);
  const repeated = [...first].filter(([ts]) => posts.filter((p) => p.args.thread_ts === ts).length > 1);
  const ackTimes = fake.acks
    .map((a) => a.at)
    .filter((at) => at >= since)
    .sort((a, b) => a - b);
  let pause = 0;
  for (let i = 1; i < ackTimes.length; i++)
    pause = Math.max(pause, (ackTimes[i] ?? 0) - (ackTimes[i - 1] ?? 0));
  return { lost: count - distinct(), twice: posts.length - first.size, repeated, pause };
}

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_socket_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await (await openDatabase(url.toString(), { migrate: true })).close();
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/**
 * The threads of effects claimed twice: the killed process held them (in flight at the kill) and a
 * survivor took them over. Only these may have made their call twice.
 */
async function retaken(url: string): Promise<Set<string>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const rows = await sql<{ key: string }[]>`
    select d.dedup_key as key from outbox o join deliveries d on d.id = o.delivery_id where o.attempts > 1`;
  await sql.end();
  return new Set(rows.map((row) => row.key.slice(row.key.lastIndexOf(':') + 1)));
}

const stopped = (child: ChildProcess) => new Promise((r) => child.once('exit', r));

/** Three shim processes on PostgreSQL: a kill -9 mid-burst, a rolling restart, steady 500/s against one process. */
async function benchReplicas(): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    console.log(
      'socket replicas: skipped (set TEST_DATABASE_URL or BENCH_DATABASE_URL to a PostgreSQL server)',
    );
    return;
  }
  console.log(
    `socket replicas: 3 shim processes on PostgreSQL sharing Slack's 10 connections; ${REPLICA_EVENTS} envelopes at ${BURST_RATE}/s with a kill -9 after ${KILL_AFTER}; a rolling SIGTERM restart under ${RATE}/s; steady ${RATE}/s on 3 processes and on 1`,
  );
  const database = await freshDatabase(adminUrl);
  const fake = await new FakeSlack().start();
  const group: ChildProcess[] = await Promise.all([1, 2, 3].map(() => replica(fake, database.url)));
  const upIn = await connections(fake, 9);
  try {
    // kill -9 one process mid-burst, then start it again.
    fake.reset();
    fake.peakConnections = fake.openSockets().length;
    let killedAt = 0;
    await push(fake, runId(KILL), REPLICA_EVENTS, BURST_RATE, (i) => {
      if (i !== KILL_AFTER) return;
      group[0]?.kill('SIGKILL');
      killedAt = Date.now();
    });
    const killed = await outcome(fake, runId(KILL), REPLICA_EVENTS, killedAt - 1_000);
    // Left unacked on the killed process's sockets: Slack (the fake) sends them again elsewhere.
    const stranded = [...fake.envelopes.values()].filter((e) => e.deliveries > 1);
    const resumed = Math.max(0, ...stranded.map((e) => (e.ack?.at ?? killedAt) - killedAt));
    const firstAfter = Math.min(...fake.acks.map((a) => a.at).filter((at) => at > killedAt)) - killedAt;
    const taken = await retaken(database.url);
    const beyond = killed.repeated.filter(([ts]) => !taken.has(String(ts))).length;

    const backIn = Date.now();
    group[0] = await replica(fake, database.url);
    const backUp = (await connections(fake, 9)) + (Date.now() - backIn);
    console.log(
      `  kill -9 one of 3 mid-burst: ${killed.lost} lost of ${REPLICA_EVENTS}; ${killed.twice} calls made twice, ${beyond} of them beyond the ${taken.size} effects the killed process held (claimed, then taken over); first ack after the kill +${firstAfter} ms, the ${stranded.length} envelopes it left unacked acked elsewhere by +${resumed} ms, longest pause between acks ${killed.pause} ms; connections at most ${fake.peakConnections} (refused ${fake.refused}); restarted process back to 9 connections in ${(backUp / 1000).toFixed(1)} s (first start: ${(upIn / 1000).toFixed(1)} s)`,
    );

    // Rolling restart: SIGTERM one at a time, each replaced before the next, while 500/s flow.
    fake.reset();
    fake.peakConnections = fake.openSockets().length;
    const rollingStart = Date.now();
    let flowing = true;
    const flow = (async () => {
      let sent = 0;
      for (; flowing; sent += 50) await push(fake, runId(ROLLING), 50, RATE, undefined, sent);
      return sent;
    })();
    const restarts: number[] = [];
    for (let k = 0; k < group.length; k++) {
      const old = group[k];
      if (!old) continue;
      const t = Date.now();
      old.kill('SIGTERM');
      await stopped(old);
      group[k] = await replica(fake, database.url);
      await connections(fake, 9);
      restarts.push(Date.now() - t);
    }
    flowing = false;
    const sentRolling = await flow;
    const rolled = await outcome(fake, runId(ROLLING), sentRolling, rollingStart);
    console.log(
      `  rolling SIGTERM restart of all 3 under ${RATE}/s: ${sentRolling} envelopes, ${rolled.lost} lost, ${rolled.twice} calls made twice, longest pause between acks ${rolled.pause} ms; each process replaced in ${restarts.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; connections at most ${fake.peakConnections} (refused ${fake.refused})`,
    );

    // Steady 500/s over the 3 processes, then over one.
    fake.reset();
    const three = await steady(fake, runId(STEADY3), STEADY_MS, RATE, true);
    for (const child of group.slice(1)) {
      child.kill('SIGTERM');
      await stopped(child);
    }
    group.length = 1;
    await sleep(3_000); // the survivor takes its share for one process (5 connections)
    const alone = fake.openSockets().length;
    fake.reset();
    const one = await steady(fake, runId(STEADY1), STEADY_MS, RATE, true);
    console.log(
      `  steady ${RATE}/s, ack latency: 3 processes (9 connections) ${latency(three)}; 1 process (${alone} connections) ${latency(one)}; p99 ratio ${(percentile(three, 99) / percentile(one, 99)).toFixed(2)}`,
    );
  } finally {
    for (const child of group) child.kill('SIGTERM');
    await Promise.all(group.map(stopped));
    await fake.stop();
    await database.drop();
  }
}
