/** The Socket Mode shim under load, against the fake Slack, with a bare acking client measured in the same run. */
import { type ChildProcess, fork } from 'node:child_process';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { cpuSecondsOf, latency, median, mentionCallback } from './stats.js';

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

/** As Slack does, an envelope left unacked this long is sent again (the shim refuses what it cannot record in time). */
const REDELIVER_MS = 3_000;

function envelope(i: number, run: string) {
  return {
    envelope_id: `env-${run}-${i}`,
    type: 'events_api',
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
    payload: mentionCallback(i, run),
  };
}

async function client(kind: 'bare' | 'shim', fake: FakeSlack): Promise<ChildProcess> {
  const child = fork('bench/socket-client.ts', [kind], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SLACK_API_URL: fake.apiUrl, LOG_LEVEL: 'error' },
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

async function steady(fake: FakeSlack, run: string, ms: number, rate: number): Promise<number[]> {
  const perTick = rate / 100;
  let i = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let k = 0; k < perTick; k++) fake.sendEnvelope(envelope(i++, run));
    await new Promise((r) => setTimeout(r, 10));
  }
  await allAcked(fake, 60_000);
  return [...fake.envelopes.values()].map((e) => (e.ack?.at ?? Number.NaN) - e.sentAt);
}

/** Runs the Socket Mode case. */
export async function benchSocket(): Promise<void> {
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
