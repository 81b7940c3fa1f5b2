import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** The p-th percentile (0–100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** `p50 1.23 ms  p99 4.56 ms` */
export function latency(ms: number[]): string {
  return `p50 ${percentile(ms, 50).toFixed(2)} ms  p99 ${percentile(ms, 99).toFixed(2)} ms`;
}

/** One line naming the machine, for every report. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Runs `task` with `concurrency` workers until `total` tasks ran; returns per-task latencies and the elapsed ms. */
export async function load(total: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await task(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - started };
}

/** An Events API app_mention callback with its own event id and ts (so each is a new delivery). */
export function mentionCallback(i: number, run: string) {
  const ts = `${1764100000 + i}.${run}`;
  return {
    token: 'bench',
    team_id: 'T0BENCH01',
    api_app_id: 'A0BENCH01',
    type: 'event_callback',
    event_id: `Ev${run}${i}`,
    event_time: 1764100000,
    event: {
      type: 'app_mention',
      user: 'U0BENCH01',
      text: '<@U0BOT> hi',
      ts,
      channel: 'C0BENCH01',
      event_ts: ts,
    },
  };
}

/** The median of `values`. */
export const median = (values: number[]) => percentile(values, 50);

/** CPU seconds (user + system) a process has used so far, from /proc; 0 where /proc is not there. */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds used by every PostgreSQL process of this machine's server (backends, WAL writer…). */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSecondsOf(Number(pid));
    } catch {
      // gone since the listing
    }
  }
  return total;
}

/** This process's CPU seconds: the load generator and the fake Slack live here. */
export const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

// USER_HZ: 100 on Linux on every architecture Node supports.
const CLOCK_TICKS = 100;
