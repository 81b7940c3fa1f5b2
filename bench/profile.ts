/**
 * Summarizes a V8 .cpuprofile (`node --cpu-prof`): self time by function and by package.
 * `npx tsx bench/profile.ts <file.cpuprofile> [top]` prints it; bench/http.ts calls it after `--profile`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The parts of a .cpuprofile read here. */
export interface CpuProfile {
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a project folder, Node's own code, or a V8 pseudo-frame. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native: V8 builtins, node bindings)';
  if (url.startsWith('node:')) return 'node: (internals)';
  // bench/targets.ts bundles a bench server (the minimum) into node_modules/.cache/bench/.
  const bundled = /node_modules\/\.cache\/bench\/([^/]+)$/.exec(url)?.[1];
  if (bundled) return `bench/${bundled} (bundled)`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(src|bench|test|dev)\/([^/]+\/)?/.exec(url);
  return own ? `${own[1]}/${own[2] ?? ''}` : url;
}

const shortUrl = (url: string) =>
  url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test|dev)\//, '$1/');

function table(title: string, totals: Map<string, number>, busy: number, top: number): void {
  console.log(`  ${title}`);
  const sorted = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of sorted) {
    console.log(
      `    ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    );
  }
}

/**
 * Prints the `top` functions and packages by self time, as shares of the busy (non-idle) time;
 * only samples inside `window` (µs on the profile's clock, CLOCK_MONOTONIC on Linux) when given.
 */
export function summarizeProfile(profile: CpuProfile, top = 15, window?: [number, number]): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (const [i, id] of profile.samples.entries()) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!window || (at >= window[0] && at <= window[1])) self.set(id, (self.get(id) ?? 0) + delta);
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id);
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const name = frame.functionName || '(anonymous)';
    const key = frame.url ? `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(frame.url, name);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  console.log(
    `  CPU profile: ${(busy / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle; shares of busy time`,
  );
  table('self time by function:', byFunction, busy, top);
  table('self time by package / folder:', byPackage, busy, top);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.log('usage: npx tsx bench/profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 15));
}
