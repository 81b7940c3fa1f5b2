/**
 * Slack's rate limits as lanes: a burst of 600 mentions at once, each answered by one
 * chat.postMessage in its channel, against a fake Slack enforcing the published limits (1 message a
 * second per channel, 3 at once). Our schedule on one process (PostgreSQL, PGlite) and on three OS
 * processes sharing PostgreSQL (bench/lanes-process.ts, each its own event loop), beside no scheduling (SLACK_RATE_LIMITS=off: every call at once, a
 * 429 waited out and tried again, as Bolt does): the 429s, the time to the last reply against what
 * the limits allow, each channel's order, and how long the quiet workspaces wait.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import postgres from 'postgres';
import * as z from 'zod';
import { loadConfig } from '../src/config/settings.js';
import { api } from '../src/core/action.js';
import { defineApp } from '../src/core/app.js';
import type { AppTypes } from '../src/core/context.js';
import type { NormalizedEvent } from '../src/core/event.js';
import { normalizeHttp } from '../src/core/normalize.js';
import { Router } from '../src/core/router.js';
import type { DatabaseHandle, StoreHandle } from '../src/db/database.js';
import { holdOwnerLock, type OwnerLock } from '../src/db/locks.js';
import { openDatabase } from '../src/db/open.js';
import { createPipeline, type Pipeline } from '../src/pipeline/build.js';
import { FakeSlack } from '../src/testing/fake-slack.js';
import { percentile } from './stats.js';

/** The workspaces: one sends 10× what each other does. */
const WORKSPACES = [
  { team: 'T0LANEBUSY', channels: 12, mentions: 500, quiet: false },
  { team: 'T0LANEQT1', channels: 4, mentions: 50, quiet: true },
  { team: 'T0LANEQT2', channels: 4, mentions: 50, quiet: true },
];
/** The published post lane: 3 at once, then 1 a second. */
const BURST = 3;
const PER_SECOND = 1;
/** How long a row may run. */
const CAP_MS = 90_000;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Replies extends AppTypes {
  lookups: object;
  settings: object;
  write: { type: 'store'; op: 'never' };
}

const router = new Router<Replies>(quiet).on(
  'event',
  'app_mention',
  (event) => [api('chat.postMessage', { channel: event.payload.channel, text: event.payload.text })],
  { calls: ['chat.postMessage'] },
);
const app = defineApp<Replies, StoreHandle>({
  router,
  settings: () => ({}),
  lookups: () => ({}),
  writes: { schema: z.object({ type: z.literal('store'), op: z.literal('never') }), apply: async () => {} },
});

const fake = new FakeSlack({ rateLimits: true });

interface Mention {
  event: NormalizedEvent;
  text: string;
  channel: string;
  quiet: boolean;
}

/** A mention of `team` in `channel`, its text naming it. */
function mention(team: string, channel: string, text: string, n: number, run: string): NormalizedEvent {
  // A numeric ts, distinct per row (`run`) and mention.
  let runNo = 0;
  for (const c of run) runNo = (runNo * 31 + c.charCodeAt(0)) % 1_000_000;
  const ts = `${1764600000 + n}.${String(runNo).padStart(6, '0')}`;
  const inbound = normalizeHttp({
    body: JSON.stringify({
      token: 'bench',
      team_id: team,
      api_app_id: 'A0BENCH01',
      type: 'event_callback',
      event_id: `EvLane${run}${n}`,
      event_time: 1764600000,
      event: { type: 'app_mention', user: 'U0BENCH01', text, ts, channel, event_ts: ts },
    }),
    contentType: 'application/json',
  });
  if (!inbound.ok || inbound.value.type !== 'event') throw new Error('the mention did not normalize');
  return inbound.value.event;
}

/** The burst: each workspace's mentions spread round-robin over its channels (distinct ids everywhere). */
function workload(run: string): Mention[] {
  const out: Mention[] = [];
  for (const [w, ws] of WORKSPACES.entries())
    for (let i = 0; i < ws.mentions; i++) {
      const channel = `C0W${w}CH${String(i % ws.channels).padStart(2, '0')}`;
      const text = `${run}-${w}-${i}`;
      out.push({ event: mention(ws.team, channel, text, out.length, run), text, channel, quiet: ws.quiet });
    }
  return out;
}

/** One process of a row: its pipeline, and its owner lock when on PostgreSQL. */
interface Process {
  pipeline: Pipeline;
  lock: OwnerLock | null;
  database: DatabaseHandle;
}

/** A pipeline on `database` sending to `apiUrl`, holding its owner lock when `url` is PostgreSQL's. */
export async function processOn(
  database: DatabaseHandle,
  url: string | null,
  limits: string | undefined,
  apiUrl = fake.apiUrl,
): Promise<Process> {
  const owner = `bench-lanes-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const lock = url ? await holdOwnerLock(url, owner) : null;
  const pipeline = createPipeline({
    app,
    settings: {},
    config: loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-bench-lanes',
      SLACK_API_URL: apiUrl,
      ...(limits ? { SLACK_RATE_LIMITS: limits } : {}),
    }),
    database,
    logger: quiet,
    owner,
  });
  return { pipeline, lock, database };
}

/** What a row asks of each of its processes, in this one or in a child process (bench/lanes-process.ts). */
export interface Runner {
  /** Takes the events at once; answers when each was acked (epoch ms; their effects run after). */
  take(events: NormalizedEvent[]): Promise<number[]>;
  /** Starts a drain unless one runs. */
  drain(): void;
  /** Resolves when the effects and the drain started so far have finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** A process of this node process. */
export function inProcess(p: Process): Runner {
  let draining: Promise<unknown> | null = null;
  return {
    take(events) {
      return Promise.all(
        events.map(async (event) => {
          const taken = await p.pipeline.take(event);
          if (taken.status !== 'ack') throw new Error(`a mention was ${taken.status}`);
          void taken.after();
          return Date.now();
        }),
      );
    },
    drain() {
      draining ??= p.pipeline
        .drain()
        .catch(() => {})
        .finally(() => {
          draining = null;
        });
    },
    async idle() {
      await p.pipeline.idle();
      await draining;
    },
    async close() {
      await p.lock?.release();
      await p.database.close();
    },
  };
}

/** A real OS process (bench/lanes-process.ts) with its own pipeline on `url`, spoken to over IPC. */
async function childOn(url: string, limits: string | undefined): Promise<Runner> {
  const child = fork('bench/lanes-process.ts', [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, LANES_DATABASE_URL: url, LANES_API_URL: fake.apiUrl, LANES_LIMITS: limits ?? '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (acks: number[]) => void>();
  let next = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`a lanes process exited (${code})`)));
    child.on('message', (message: { type: string; id?: number; acks?: number[] }) => {
      if (message.type === 'ready') resolve();
      if (message.id !== undefined) waiting.get(message.id)?.(message.acks ?? []);
    });
  });
  await ready;
  const ask = (type: string, body: object = {}) =>
    new Promise<number[]>((resolve) => {
      const id = next++;
      waiting.set(id, (acks) => {
        waiting.delete(id);
        resolve(acks);
      });
      child.send({ type, id, ...body });
    });
  return {
    take: (events) => ask('take', { events }),
    drain: () => child.send({ type: 'drain' }),
    idle: () => ask('idle').then(() => {}),
    close: async () => {
      await ask('close');
      if (child.connected) child.disconnect();
    },
  };
}

interface RowResult {
  label: string;
  replies: number;
  limited: number;
  lastMs: number;
  allowedMs: number;
  inOrder: number;
  early: number;
  ackedMs: number;
  limitedLanes: string[];
  channels: number;
  quietDelay: number[];
  quietBeyond: number[];
  failed: number;
  capped: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Effects not finished yet, and those failed for good, in the row's database. */
async function outboxState(database: DatabaseHandle) {
  const rows = await database.raw(
    `select count(*) filter (where status in ('pending', 'running'))::int as open,
            count(*) filter (where status = 'failed')::int as failed from outbox`,
    [],
  );
  const row = z.object({ open: z.coerce.number(), failed: z.coerce.number() }).parse(rows[0]);
  return row;
}

/** Each channel's texts in the order their replies were recorded (the outbox's order). */
async function recordedOrder(database: DatabaseHandle, texts: Set<string>): Promise<Map<string, string[]>> {
  const rows = await database.raw('select action from outbox order by id', []);
  const action = z.object({ args: z.object({ channel: z.string(), text: z.string() }) });
  const order = new Map<string, string[]>();
  for (const row of rows) {
    const parsed = z.object({ action }).safeParse(row);
    if (!parsed.success || !texts.has(parsed.data.action.args.text)) continue;
    const { channel, text } = parsed.data.action.args;
    order.set(channel, [...(order.get(channel) ?? []), text]);
  }
  return order;
}

/** Runs the burst split round-robin over `processes`, draining each every second, for at most CAP_MS. */
async function runRow(label: string, processes: Runner[], database: DatabaseHandle, run: string) {
  // Warm up: every process's connections open, a reply sent; then a fresh fake.
  await Promise.all(
    processes.map(async (p, i) => {
      await p.take([mention('T0LANEWARM', `C0WARM${i}`, `warm-${run}-${i}`, i, `w${run}`)]);
      await p.idle();
    }),
  );
  fake.reset();
  const mentions = workload(run);
  const texts = new Set(mentions.map((m) => m.text));
  const t0 = Date.now();
  let ackedMs = 0;
  /** When each mention was acked (its delivery, as far as the router is concerned), ms after t0. */
  const ackedAt = new Map<string, number>();
  const taking = Promise.all(
    processes.map(async (p, k) => {
      const mine = mentions.filter((_, i) => i % processes.length === k);
      const acks = await p.take(mine.map((m) => m.event));
      for (const [i, m] of mine.entries()) ackedAt.set(m.text, (acks[i] ?? Date.now()) - t0);
      ackedMs = Math.max(ackedMs, Date.now() - t0);
    }),
  );
  let taken = false;
  taking.then(() => (taken = true)).catch(() => (taken = true));
  let capped = false;
  let failed = 0;
  for (;;) {
    await sleep(1_000);
    const replied = new Set(fake.callsOf('chat.postMessage').map((c) => String(c.args.text)));
    const state = await outboxState(database);
    failed = state.failed;
    if (taken && state.open === 0) break;
    if ([...texts].every((t) => replied.has(t))) break;
    if (Date.now() - t0 > CAP_MS) {
      capped = true;
      break;
    }
    for (const p of processes) p.drain();
  }
  // What runs now finishes (a call, a lane's wait) before the database closes.
  await Promise.race([Promise.all(processes.map((p) => p.idle())), sleep(5_000)]);

  const replies = new Map<string, number>();
  const arrival = new Map<string, string[]>();
  for (const call of fake.callsOf('chat.postMessage')) {
    const text = String(call.args.text);
    if (!texts.has(text) || replies.has(text)) continue;
    replies.set(text, call.at - t0);
    const channel = String(call.args.channel);
    arrival.set(channel, [...(arrival.get(channel) ?? []), text]);
  }
  const recorded = await recordedOrder(database, texts);
  let inOrder = 0;
  let early = 0;
  const quietDelay: number[] = [];
  const quietBeyond: number[] = [];
  let allowedMs = 0;
  const quietChannels = new Set(mentions.filter((m) => m.quiet).map((m) => m.channel));
  for (const [channel, order] of recorded) {
    allowedMs = Math.max(allowedMs, allowedAt(order.length - 1));
    const arrived = arrival.get(channel) ?? [];
    const expected = order.filter((t) => replies.has(t));
    if (expected.length === arrived.length && expected.every((t, i) => arrived[i] === t)) inOrder++;
    // Replies that reached Slack before one recorded earlier in their channel.
    const rank = new Map(order.map((t, i) => [t, i]));
    let latest = -1;
    for (const t of arrived) {
      const r = rank.get(t) ?? -1;
      if (r < latest) early++;
      latest = Math.max(latest, r);
    }
    if (!quietChannels.has(channel)) continue;
    // Beyond what the limit forces: the k-th reply may not go before its own delivery, nor before
    // (k − 2) s after the channel's first delivery.
    const first = Math.min(...order.map((t) => ackedAt.get(t) ?? 0));
    for (const [k, text] of order.entries()) {
      const at = replies.get(text);
      if (at === undefined) continue;
      quietDelay.push(at - (ackedAt.get(text) ?? 0));
      quietBeyond.push(at - Math.max(ackedAt.get(text) ?? 0, first + allowedAt(k)));
    }
  }
  return {
    label,
    replies: replies.size,
    limited: fake.rateLimited.filter((c) => texts.has(String(c.args.text))).length,
    lastMs: Math.max(0, ...replies.values()),
    allowedMs,
    inOrder,
    early,
    ackedMs,
    limitedLanes: fake.rateLimited
      .filter((c) => texts.has(String(c.args.text)))
      .map((c) => String(c.args.channel)),
    channels: recorded.size,
    quietDelay,
    quietBeyond,
    failed,
    capped,
  };
}

/** When the limits allow a channel's k-th message (from 0) of a burst: 3 at once, then 1 a second. */
const allowedAt = (k: number) => (Math.max(0, k - (BURST - 1)) * 1000) / PER_SECOND;

/** A fresh database on the PostgreSQL server, dropped by `drop()`. */
async function freshPostgres(adminUrl: string, suffix: string) {
  const name = `router_bench_lanes_${process.pid}_${suffix}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await (await openDatabase(url.toString(), { migrate: true })).close();
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/**
 * A row on `count` processes sharing a fresh PostgreSQL database: pipelines of this process, or
 * (`children`) real OS processes, each with its own event loop, connections and owner lock.
 */
async function postgresRow(
  adminUrl: string,
  label: string,
  count: number,
  options: { limits?: string; children?: boolean } = {},
) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const server = await freshPostgres(adminUrl, suffix);
  const processes: Runner[] = [];
  const watcher = await openDatabase(server.url);
  try {
    for (let i = 0; i < count; i++)
      processes.push(
        options.children
          ? await childOn(server.url, options.limits)
          : inProcess(await processOn(await openDatabase(server.url), server.url, options.limits)),
      );
    return await runRow(label, processes, watcher, suffix);
  } finally {
    for (const p of processes) await p.close();
    await watcher.close();
    await server.drop();
  }
}

/** A row on one process with PGlite in memory. */
async function pgliteRow(label: string, limits?: string) {
  const database = await openDatabase('memory://', { migrate: true });
  const runner = inProcess(await processOn(database, null, limits));
  try {
    return await runRow(label, [runner], database, Math.random().toString(36).slice(2, 8));
  } finally {
    await runner.close();
  }
}

const cell = (value: string, width: number) => value.padStart(width);
const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '–');

/** Runs the lanes case. */
export async function benchLanes(): Promise<void> {
  await fake.start();
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const split = WORKSPACES.map((w) => `${w.mentions} over ${w.channels} channels`).join(', ');
  console.log(
    `lanes: 600 mentions at once, each answered by one chat.postMessage, against the fake Slack's published limits (${BURST} at once, then ${PER_SECOND}/s per channel); workspaces: ${split}; each row capped at ${CAP_MS / 1000} s; load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  if (!adminUrl)
    console.log('  (no BENCH_DATABASE_URL or TEST_DATABASE_URL: the PostgreSQL rows are skipped)');
  const rows: RowResult[] = [];
  try {
    if (adminUrl) rows.push(await postgresRow(adminUrl, 'ours, 1 process, postgres', 1));
    rows.push(await pgliteRow('ours, 1 process, pglite (memory)'));
    if (adminUrl)
      rows.push(await postgresRow(adminUrl, 'ours, 3 OS processes, postgres', 3, { children: true }));
    rows.push(
      adminUrl
        ? await postgresRow(adminUrl, 'no scheduling (off), postgres', 1, { limits: 'off' })
        : await pgliteRow('no scheduling (off), pglite', 'off'),
    );
  } finally {
    await fake.stop();
  }
  const notes: string[] = [];
  const width = Math.max(...rows.map((r) => r.label.length)) + 2;
  console.log(
    `  ${'row'.padEnd(width)}${cell('replies', 9)}${cell('failed', 8)}${cell('429s', 7)}${cell('%', 7)}` +
      `${cell('acked', 8)}${cell('last reply', 12)}${cell('limits', 9)}${cell('over', 8)}${cell('in order', 10)}${cell('early', 7)}` +
      `${cell('quiet p50', 11)}${cell('p95', 9)}${cell('beyond p95', 12)}`,
  );
  for (const r of rows) {
    const lanes = new Map<string, number>();
    for (const channel of r.limitedLanes) lanes.set(channel, (lanes.get(channel) ?? 0) + 1);
    if (r.limited > 0 && r.limited < 200)
      notes.push(`${r.label}: 429s by channel: ${[...lanes].map(([c, n]) => `${c} ×${n}`).join(', ')}`);
    const calls = r.replies + r.limited;
    console.log(
      `  ${r.label.padEnd(width)}${cell(`${r.replies}${r.capped ? '*' : ''}`, 9)}${cell(String(r.failed), 8)}` +
        `${cell(String(r.limited), 7)}${cell(`${((100 * r.limited) / Math.max(1, calls)).toFixed(1)}`, 7)}` +
        `${cell(s(r.ackedMs), 8)}${cell(s(r.lastMs), 12)}${cell(s(r.allowedMs), 9)}` +
        `${cell(`${(((r.lastMs - r.allowedMs) / r.allowedMs) * 100).toFixed(0)}%`, 8)}` +
        `${cell(`${r.inOrder}/${r.channels}`, 10)}${cell(String(r.early), 7)}${cell(s(percentile(r.quietDelay, 50)), 11)}` +
        `${cell(s(percentile(r.quietDelay, 95)), 9)}${cell(s(percentile(r.quietBeyond, 95)), 12)}`,
    );
  }
  console.log(
    '  acked: the last mention recorded (all 600 taken at once); in order: channels whose replies came in recorded order; early: replies sent before one recorded earlier in their channel; ' +
      'replies: of 600 (* the row hit its cap); failed: effects given up after their retries; 429s: calls Slack refused, % of all calls; ' +
      "limits: the last reply's earliest time the limits allow (max over channels of (n − 3) s); " +
      "quiet: the quiet workspaces' reply delay after their delivery (its ack), and beyond what their channel's limit forces (the k-th from 0 not before its delivery nor (k − 2) s after the channel's first)",
  );
  for (const note of notes) console.log(`  ${note}`);
}
