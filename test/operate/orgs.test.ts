/** `npm run orgs`, spawned as a person runs it: exact lines, exit codes, no stack trace. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnScript } from '../helpers/spawn.js';

const STACK_FRAME = /^\s+at /m;
const SLOW_MS = 120_000;

/** Runs `npm run orgs -- …args` in `cwd` (its embedded database in `cwd/.data/pglite`). */
async function orgs(cwd: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const run = spawnScript('dev/orgs.ts', {}, cwd, args);
  const code = await run.exited;
  expect(run.output()).not.toMatch(STACK_FRAME);
  return { code, out: run.output().trim() };
}

describe('npm run orgs', () => {
  it(
    'adds, refuses an existing slug unless --rename, and refuses to remove an unknown one',
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'operate-orgs-'));
      expect(await orgs(cwd, 'add', 'acme', 'Acme Corp')).toEqual({ code: 0, out: 'added acme (Acme Corp)' });
      expect(await orgs(cwd, 'add', 'acme', 'Acme Inc')).toEqual({
        code: 1,
        out: 'error: acme exists (Acme Corp): add --rename to rename it to "Acme Inc", or pick another slug',
      });
      expect(await orgs(cwd, 'add', 'acme', 'Acme Inc', '--rename')).toEqual({
        code: 0,
        out: 'renamed acme: Acme Corp → Acme Inc',
      });
      expect(await orgs(cwd, 'remove', 'nope')).toEqual({
        code: 1,
        out: 'error: no organization nope: npm run orgs -- list shows them',
      });
      expect(await orgs(cwd, 'list')).toEqual({ code: 0, out: 'acme\tAcme Inc' });
      expect(await orgs(cwd, 'remove', 'acme')).toEqual({
        code: 0,
        out: 'removed acme and its channel links',
      });
    },
    SLOW_MS,
  );

  it.each([
    [
      ['add', 'a'.repeat(300)],
      'error: a slug is 1–63 characters: lowercase letters, digits and dashes, not starting with a dash (got 300 characters)',
    ],
    [
      ['add', 'Acme', 'Acme Corp'],
      'error: a slug is 1–63 characters: lowercase letters, digits and dashes, not starting with a dash (got "Acme")',
    ],
    [
      ['remove'],
      'error: a slug is 1–63 characters: lowercase letters, digits and dashes, not starting with a dash (got nothing)',
    ],
    [
      ['add', 'acme', 'N'.repeat(76)],
      "error: a name is at most 75 characters, Slack's limit for a picker option (got 76)",
    ],
    [
      ['remove', 'acme', '--rename'],
      'error: --rename goes with add. usage: npm run orgs -- add <slug> "<name>" [--rename] | list | remove <slug>',
    ],
    [
      ['rename', 'acme'],
      'error: usage: npm run orgs -- add <slug> "<name>" [--rename] | list | remove <slug>',
    ],
  ])(
    'refuses %j in one line, naming the limit',
    async (args, line) => {
      const cwd = mkdtempSync(join(tmpdir(), 'operate-orgs-'));
      expect(await orgs(cwd, ...args)).toEqual({ code: 1, out: line });
    },
    SLOW_MS,
  );
});
