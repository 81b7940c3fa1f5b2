/**
 * Load from wrk (C, a fraction of a core, where a Node load generator takes far more): a pool of
 * pre-signed app_mention deliveries written to a file that bench/wrk/mentions.lua sends, each once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mentionCallback } from './stats.js';

const SCRIPT = fileURLToPath(new URL('./wrk/mentions.lua', import.meta.url));

/** wrk's path, or null (with one line saying how to install it) when it is not installed. */
export function findWrk(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Writes `size` signed deliveries (run id `run`: distinct event ids and ts) to `path`; valid for 5 minutes. */
export async function writePool(path: string, run: string, size: number, secret: string): Promise<void> {
  const out = createWriteStream(path);
  const ts = Math.floor(Date.now() / 1000);
  for (let i = 0; i < size; i++) {
    const body = JSON.stringify(mentionCallback(i, run));
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    if (!out.write(`${ts}\t${signature}\t${body}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** What one wrk run saw: responses, non-2xx, socket errors, latency percentiles in ms. */
export interface WrkResult {
  requests: number;
  acked: number;
  non2xx: number;
  socketErrors: number;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Runs wrk against `url` for `seconds` with `connections` connections, sending the pool at `pool`.
 * `pauseMs`: each connection waits that long after an answer before its next request (a steady
 * offered load of about connections × 1000 / (pauseMs + latency) a second); none: as fast as answered.
 */
export function runWrk(
  url: string,
  pool: string,
  options: { seconds: number; connections: number; threads?: number; pauseMs?: number },
): Promise<WrkResult> {
  const threads = options.threads ?? 1;
  const args = [
    ...['-t', String(threads), '-c', String(options.connections), '-d', `${options.seconds}s`],
    ...['--timeout', '10s', '-s', SCRIPT, url, '--', pool, String(threads)],
  ];
  return new Promise((resolve, reject) => {
    const env = { ...process.env, WRK_PAUSE_MS: String(options.pauseMs ?? 0) };
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('WRK '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}: ${stdout.trim()}`));
      const r = JSON.parse(line.slice(4)) as Record<string, number>;
      const n = (key: string) => r[key] ?? 0;
      resolve({
        requests: n('requests'),
        acked: n('requests') - n('non2xx'),
        non2xx: n('non2xx'),
        socketErrors: n('socket_errors'),
        seconds: n('duration_us') / 1e6,
        p50: n('p50_us') / 1000,
        p90: n('p90_us') / 1000,
        p99: n('p99_us') / 1000,
        max: n('max_us') / 1000,
      });
    });
  });
}
