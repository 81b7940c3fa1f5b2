/** The Socket Mode shim under load, against the fake Slack, with a bare acking client measured in the same run. */
import { type ChildProcess, fork } from 'node:child_process';
import { FakeSlack } from '../test/helpers/fake-slack.js';
import { latency, mentionCallback } from './stats.js';

const BURST = 2_000;
const RATE = 500;
const STEADY_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;

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

async function burst(fake: FakeSlack, run: string): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < BURST; i++) fake.sendEnvelope(envelope(i, run));
  await fake.waitFor(() => fake.acks.length >= BURST, 120_000);
  const last = Math.max(...fake.acks.map((a) => a.at));
  return BURST / ((last - started) / 1000);
}

async function steady(fake: FakeSlack, run: string, ms: number, rate: number): Promise<number[]> {
  const perTick = rate / 100;
  let i = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let k = 0; k < perTick; k++) fake.sendEnvelope(envelope(i++, run));
    await new Promise((r) => setTimeout(r, 10));
  }
  await fake.waitFor(() => fake.unacked().length === 0, 60_000);
  return [...fake.envelopes.values()].map((e) => (e.ack?.at ?? Number.NaN) - e.sentAt);
}

/** Runs the Socket Mode case. */
export async function benchSocket(): Promise<void> {
  console.log(
    `socket: burst of ${BURST} app_mention envelopes; steady ${RATE}/s for ${STEADY_MS / 1000} s; a refresh_requested`,
  );
  const fake = await new FakeSlack().start();

  const bare = await client('bare', fake);
  const bareRate = await burst(fake, 'bare');
  bare.kill();
  fake.reset();

  const shim = await client('shim', fake);
  const shimRate = await burst(fake, 'burst');
  await fake.waitFor(
    (calls) => calls.filter((c) => c.method === 'chat.postMessage').length >= BURST,
    120_000,
  );
  const posts = fake.callsOf('chat.postMessage').map((c) => String(c.args.thread_ts));
  console.log(`  bare ws client (ack on receipt)   ${bareRate.toFixed(0)} acks/s`);
  console.log(
    `  shim, PGlite, record → ack → run  ${shimRate.toFixed(0)} acks/s (${((shimRate / bareRate) * 100).toFixed(0)}% of bare); chat.postMessage received ${posts.length}, distinct ${new Set(posts).size}`,
  );
  fake.reset();

  const lat = await steady(fake, 'steady', STEADY_MS, RATE);
  console.log(`  steady ${RATE}/s: ack latency (fake's write → ack) ${latency(lat)}`);
  fake.reset();

  // A refresh while envelopes flow at 100/s: the time no socket was open, and the switch-over.
  const before = fake.connections;
  const flowing = steady(fake, 'refresh', 2_000, 100);
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
      (calls) => calls.filter((c) => String(c.args.thread_ts).endsWith('.refresh')).length >= sent,
      30_000,
    )
    .catch(() => {});
  const threads = fake
    .callsOf('chat.postMessage')
    .map((c) => String(c.args.thread_ts))
    .filter((ts) => ts.endsWith('.refresh'));
  const refreshPosts = new Set(threads).size;
  const twice = threads.length - refreshPosts;
  console.log(
    `  refresh_requested: ${noSocket} ms without a socket; new connection up ${switched} ms after the frame; ${refreshPosts} of ${sent} envelopes handled, ${twice} twice, ${fake.unacked().length} unacked`,
  );
  shim.send('stop');
  await new Promise((r) => shim.once('exit', r));
  await fake.stop();
}
