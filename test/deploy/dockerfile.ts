/**
 * Reads the Dockerfile and assembles its final stage into a folder the way its COPY and RUN lines
 * would (there is no Docker daemon here), so a test can run its CMD and HEALTHCHECK with plain node.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, posix, relative } from 'node:path';

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' && name ? name : null, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${op} before FROM`);
    stage.instructions.push({ op: upper, args });
  }
  return stages;
}

/** `COPY [--from=x] [--chown=y] src… dest` (shell form). */
export function parseCopy(args: string): { from: string | null; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() as string;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop();
  if (!dest || words.length === 0)
    throw new Error(`Dockerfile: COPY ${args}: needs a source and a destination`);
  return { from, sources: words, dest };
}

/** The values an `ENV` line sets (`K=V K2=V2`; quotes not needed by ours). */
export function parseEnv(args: string): Record<string, string> {
  return Object.fromEntries(
    args.split(/\s+/).map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`Dockerfile: ENV ${args}: use KEY=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** What running the final stage needs: its folder (/app), environment, CMD, HEALTHCHECK command, user. */
export interface Assembled {
  dir: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[] | null;
  user: string | null;
  expose: string[];
}

export interface AssembleOptions {
  /** The repository: the build context. */
  context: string;
  /** The folder standing for each earlier stage's WORKDIR, by stage name (its `npm run build` output). */
  stages: Record<string, { workdir: string; dir: string }>;
  /** Empty folder to assemble into: stands for the final stage's WORKDIR. */
  into: string;
  /** Instead of running `npm ci`, link this node_modules (for tests of what a COPY leaves out). */
  linkNodeModules?: string;
}

function resolveIn(workdir: string, dir: string, path: string): string {
  const inside = isAbsolute(path) ? posix.relative(workdir, path) : path;
  if (inside.startsWith('..')) throw new Error(`Dockerfile: ${path} is outside ${workdir}`);
  return join(dir, inside);
}

/** Copies, installs and records the final stage as Docker would, or throws naming the line that failed. */
export function assembleFinalStage(stage: Stage, options: AssembleOptions): Assembled {
  const result: Assembled = {
    dir: options.into,
    env: {},
    cmd: [],
    healthcheck: null,
    user: null,
    expose: [],
  };
  let workdir = '/';
  for (const { op, args } of stage.instructions) {
    switch (op) {
      case 'WORKDIR':
        workdir = args;
        break;
      case 'ENV':
        Object.assign(result.env, parseEnv(args));
        break;
      case 'COPY': {
        const { from, sources, dest } = parseCopy(args);
        const target = resolveIn(workdir, options.into, dest);
        for (const source of sources) {
          let path: string;
          if (from) {
            const origin = options.stages[from];
            if (!origin) throw new Error(`Dockerfile: COPY --from=${from}: no such stage`);
            path = resolveIn(origin.workdir, origin.dir, source);
          } else {
            path = join(options.context, source);
          }
          if (!existsSync(path)) throw new Error(`Dockerfile: COPY ${args}: ${source} does not exist`);
          const into = dest.endsWith('/') ? join(target, posix.basename(source)) : target;
          mkdirSync(join(into, '..'), { recursive: true });
          cpSync(path, into, { recursive: true });
        }
        break;
      }
      case 'RUN':
        for (const part of args.split('&&').map((p) => p.trim())) {
          const [command = '', ...rest] = part.split(/\s+/);
          if (command === 'npm' && rest[0] === 'ci' && options.linkNodeModules) {
            symlinkSync(options.linkNodeModules, join(options.into, 'node_modules'));
          } else if (command === 'npm' || command === 'mkdir') {
            execFileSync('sh', ['-c', part], { cwd: options.into, stdio: 'pipe' });
          } else if (command !== 'chown') {
            // chown needs root and the image's user; anything else must be taught to this test first.
            throw new Error(`Dockerfile: RUN ${part}: not something this test knows how to run`);
          }
        }
        break;
      case 'USER':
        result.user = args;
        break;
      case 'EXPOSE':
        result.expose.push(...args.split(/\s+/));
        break;
      case 'CMD':
        result.cmd = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK': {
        const at = args.indexOf('CMD ');
        result.healthcheck = at >= 0 ? (JSON.parse(args.slice(at + 4)) as string[]) : null;
        break;
      }
      default:
        throw new Error(`Dockerfile: ${op} in the final stage is not handled by this test`);
    }
  }
  return result;
}

/** The first path segment of each `.dockerignore` line (enough for ours: folders and files at the root). */
export function ignored(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'))
    : [];
  return (path) => {
    const first = relative('.', path).split('/')[0] ?? '';
    return patterns.some((pattern) =>
      pattern.includes('*')
        ? new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(first)
        : pattern === first,
    );
  };
}
