import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = pathToFileURL(`${root}node_modules/tsx/dist/loader.mjs`).href;

/** A real process of one of our commands, as a person would start it (`npm run dev:socket`). */
export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process and its output have ended. */
  exited: Promise<number | null>;
  /** Resolves once `text` appears in the output; rejects when it exits without it, or after `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Ends the process with SIGTERM (its whole group when started `detached`) and waits for its exit. */
  stop(): Promise<number | null>;
}

/**
 * Runs `command args` in `cwd` with only `env` (plus PATH and HOME). `detached` puts it in a process
 * group of its own, so `stop()` also ends what it started (`npm start` → node).
 */
export function spawnProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; detached?: boolean; waitMs?: number } = {},
): Spawned {
  const child = spawn(command, args, {
    cwd: options.cwd ?? root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const add = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(text, timeoutMs = options.waitMs ?? 20_000) {
      const found = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      if (found()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`not seen in ${timeoutMs} ms: ${text}\n--- output ---\n${out}`));
        }, timeoutMs);
        const check = () => {
          if (!found()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then(() => {
          if (found()) return check();
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`exited before ${text}\n--- output ---\n${out}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          if (options.detached) process.kill(-child.pid, 'SIGTERM');
          else child.kill('SIGTERM');
        } catch {
          // already gone
        }
      }
      return exited;
    },
  };
}

/** Runs `script` (relative to the repository) through tsx with `args`, only `env` (plus PATH), in `cwd`. */
export function spawnScript(
  script: string,
  env: Record<string, string>,
  cwd = root,
  args: string[] = [],
): Spawned {
  return spawnProcess(process.execPath, ['--import', tsx, `${root}${script}`, ...args], env, { cwd });
}
