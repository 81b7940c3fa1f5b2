import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseHandle } from './database.js';

/** The embedded database is in use by another process: PGlite would corrupt it if both opened it. */
export class DatabaseLockedError extends Error {
  override readonly name = 'DatabaseLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dataDir>.lock` for this process, or throws naming the process that holds it. */
export function lockDataDir(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(lockFile, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DatabaseLockedError(
          `the embedded database in ${dataDir} is in use by process ${pid}: stop it first, or set DATABASE_URL to a PostgreSQL server`,
        );
      }
      rmSync(lockFile, { force: true }); // left by a process that is gone
    }
  }
  throw new DatabaseLockedError(`could not take the lock ${lockFile}`);
}

/** Opens embedded PGlite: on disk in `dataDir` (locked to this process), or in memory when `dataDir` is null. */
export async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  try {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    // Loaded here, not at start-up: a process on PostgreSQL never loads PGlite (its wasm and data).
    const [{ PGlite }, { drizzle }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('drizzle-orm/pglite'),
    ]);
    const client = dataDir ? new PGlite(dataDir) : new PGlite();
    await client.waitReady;
    return {
      db: drizzle(client, { casing: 'snake_case' }),
      raw: async (query, params) => (await client.query(query, params)).rows,
      driver: 'pglite',
      where: `pglite ${dataDir ?? 'memory'}`,
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
