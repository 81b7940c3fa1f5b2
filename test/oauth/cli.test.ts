import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NewInstallation, saveInstallation } from '../../src/db/installations.js';
import { migrate } from '../../src/db/open.js';
import { openPglite } from '../../src/db/pglite.js';
import { spawnScript } from '../helpers/spawn.js';
import { KEY } from './stack.js';

const dir = mkdtempSync(join(tmpdir(), 'installations-cli-'));

const acme: NewInstallation = {
  teamId: 'T0001ACME',
  teamName: 'Acme',
  enterpriseId: null,
  enterpriseName: null,
  isEnterpriseInstall: false,
  appId: 'A0APP0001',
  botUserId: 'U0BOT0001',
  botId: 'B0BOT0001',
  botScopes: ['chat:write', 'commands'],
  botToken: 'xoxb-cli-acme-secret',
  botRefreshToken: null,
  botTokenExpiresAt: null,
  installerUserId: 'U0ADMIN01',
};
const grid: NewInstallation = {
  ...acme,
  teamId: null,
  teamName: null,
  enterpriseId: 'E0GRID001',
  enterpriseName: 'Grid Corp',
  isEnterpriseInstall: true,
  botToken: 'xoxe.xoxb-cli-grid-secret',
  botRefreshToken: 'xoxe-cli-refresh-secret',
  botTokenExpiresAt: new Date('2030-01-01T00:00:00Z'),
};

/** Runs the command in `dir`, whose embedded database is `.data/pglite`, as a person would. */
async function run(...args: string[]): Promise<[number | null, string]> {
  const cli = spawnScript('dev/installations.ts', { TOKEN_ENCRYPTION_KEY: KEY }, dir, args);
  const code = await cli.exited;
  return [
    code,
    cli.output().replace(/\t\d{4}-\d\d-\d\dT[\d:.]+Z\ttoken does not/, '\t<time>\ttoken does not'),
  ];
}

beforeAll(async () => {
  const handle = await openPglite(join(dir, '.data/pglite'));
  await migrate(handle);
  await saveInstallation(handle.db, { current: KEY }, acme);
  await saveInstallation(handle.db, { current: KEY }, grid);
  await handle.close();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run installations', () => {
  it('lists installations without a token, removes one by team id, and refuses a bad id', async () => {
    const [listed, output] = await run('list');
    expect(listed).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines[0]).toMatch(
      /^E0GRID001 \(org-wide: Grid Corp\)\tbot U0BOT0001\tby U0ADMIN01\t\S+\ttoken expires 2030-01-01T00:00:00.000Z\tchat:write,commands$/,
    );
    expect(lines[1]).toBe(
      'T0001ACME (Acme)\tbot U0BOT0001\tby U0ADMIN01\t<time>\ttoken does not expire\tchat:write,commands',
    );
    expect(output).not.toMatch(/xox|secret/);

    expect(await run('remove', 'T0001ACME')).toEqual([
      0,
      'removed the installation of T0001ACME (its tokens are deleted)\n',
    ]);
    expect(await run('remove', 'nonsense')).toEqual([
      1,
      'error: a team id looks like T0123ABCD, an enterprise id like E0123ABCD (got "nonsense"). usage: npm run installations -- list | remove <team id T… or enterprise id E…>\n',
    ]);
    const [, after] = await run('list');
    expect(
      after
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0]),
    ).toEqual(['E0GRID001 (org-wide: Grid Corp)']);
  }, 180_000);
});
