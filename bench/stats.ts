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
