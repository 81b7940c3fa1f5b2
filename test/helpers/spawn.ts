import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = pathToFileURL(`${root}node_modules/tsx/dist/loader.mjs`).href;

/** A real process of one of our commands, as a person would start it (`npm run dev:socket`). */
export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once `text` appears in the output. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

/** Runs `script` (relative to the repository) with `args`, only `env` (plus PATH), in `cwd`. */
export function spawnScript(
  script: string,
  env: Record<string, string>,
  cwd = root,
  args: string[] = [],
): Spawned {
  const child = spawn(process.execPath, ['--import', tsx, `${root}${script}`, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(text, timeoutMs = 20_000) {
      const found = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      if (found()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`not seen in ${timeoutMs} ms: ${text}\n--- output ---\n${out}`)),
          timeoutMs,
        );
        const check = () => {
          if (!found()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then(() => setTimeout(check, 10));
      });
    },
  };
}
