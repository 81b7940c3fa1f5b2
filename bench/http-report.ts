/** The HTTP bench's table: each target's figures, then the project's ratios to the durable minimum. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Measured } from './http-measure.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const mib = (n: number) => `${n} MiB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

const HEAD = [
  'target',
  'acks/s',
  'handled/s',
  'ack p50',
  'ack p99',
  'server µs',
  'pg µs',
  'cores',
  'idle RSS',
  'peak RSS',
];
const WIDTHS = [32, 8, 10, 9, 9, 10, 8, 6, 9, 9];
const line = (cells: string[]) =>
  `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(WIDTHS[i] ?? 0) : cell.padStart(WIDTHS[i] ?? 0))).join(' ')}`;

/** Prints one line per target and, when the minimum is among them, each other target's ratios to it. */
export function printRows(rows: Measured[], title: string): void {
  if (title) console.log(`  ${title}`);
  console.log(line(HEAD));
  for (const row of rows) {
    const notes = [
      row.wrk.non2xx ? `${row.wrk.non2xx} not 2xx` : '',
      row.wrk.socketErrors ? `${row.wrk.socketErrors} socket errors` : '',
      row.wrk.requests > row.pool ? `pool of ${row.pool} reused: raise BENCH_POOL` : '',
      row.handled < row.wrk.acked ? `${row.wrk.acked - row.handled} acked, never posted` : '',
    ].filter(Boolean);
    const cells = [
      row.label,
      int(row.ackedPerSecond),
      int(row.handledPerSecond),
      ms(row.wrk.p50),
      ms(row.wrk.p99),
      int(row.serverUs),
      int(row.postgresUs),
      row.serverCores.toFixed(2),
      mib(row.idleRssMiB),
      mib(row.peakRssMiB),
    ];
    console.log(line(cells) + (notes.length ? `  (${notes.join('; ')})` : ''));
  }
  const min = rows.find((row) => row.label === 'durable minimum');
  for (const row of min ? rows.filter((r) => r !== min) : []) {
    if (!min) break;
    const cells = [
      `${row.label} / minimum`,
      ratio(row.ackedPerSecond, min.ackedPerSecond),
      ratio(row.handledPerSecond, min.handledPerSecond),
      ratio(row.wrk.p50, min.wrk.p50),
      ratio(row.wrk.p99, min.wrk.p99),
      ratio(row.serverUs, min.serverUs),
      ratio(row.postgresUs, min.postgresUs),
      ratio(row.serverCores, min.serverCores),
      ratio(row.idleRssMiB, min.idleRssMiB),
      ratio(row.peakRssMiB, min.peakRssMiB),
    ];
    console.log(line(cells));
  }
  console.log(
    '  handled: chat.postMessage received by the fake until the outbox is empty; µs: CPU per handled delivery' +
      ' of the server process alone / of the PostgreSQL processes serving its database; cores: the server process’s CPU share under load',
  );
}

/** The Worker bundle's size, built by wrangler into a scratch folder (never `dist/`, the production build's). */
export function workerBundle(work: string): string {
  const out = join(work, 'worker');
  try {
    execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', out], {
      stdio: 'ignore',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
  } catch (error) {
    return `not built (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
  const files = readdirSync(out).filter((f) => f.endsWith('.js'));
  const raw = files.reduce((n, f) => n + statSync(join(out, f)).size, 0);
  const gzip = files.reduce((n, f) => n + gzipSync(readFileSync(join(out, f))).length, 0);
  return `${(raw / 1024).toFixed(0)} KiB raw, ${(gzip / 1024).toFixed(0)} KiB gzip`;
}
