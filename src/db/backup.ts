import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir, openPglite } from './client.ts';

/**
 * Backup and restore of the embedded PGlite database: a gzipped tarball of its data directory.
 * Both take the data directory's lock, so neither runs while Samspil is running on it.
 * (PostgreSQL is backed up with pg_dump and restored with pg_restore; see docs/operations.md.)
 */
export async function backupPglite(dataDir: string, file: string): Promise<number> {
  const unlock = await lockDataDir(dataDir);
  try {
    const pglite = await openPglite(dataDir);
    try {
      await pglite.query('checkpoint');
      const dump = await pglite.dumpDataDir('gzip');
      const bytes = Buffer.from(await dump.arrayBuffer());
      writeFileSync(file, bytes);
      return bytes.length;
    } finally {
      await pglite.close();
    }
  } finally {
    await unlock();
  }
}

/** The data directory holds a database already (anything but the lock file). */
function holdsData(dataDir: string): boolean {
  try {
    return readdirSync(dataDir).some((f) => f !== 'samspil.lock');
  } catch {
    return false;
  }
}

class RestoreRefused extends Error {}

export async function restorePglite(dataDir: string, file: string, force: boolean): Promise<void> {
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) throw new RestoreRefused(`No backup file ${file}`);
  const unlock = await lockDataDir(dataDir);
  try {
    if (holdsData(dataDir) && !force)
      throw new RestoreRefused(
        `The data directory ${dataDir} holds a database. Restore over it with --force, or choose an empty DATA_DIR.`,
      );
    for (const f of readdirSync(dataDir))
      if (f !== 'samspil.lock') rmSync(join(dataDir, f), { recursive: true, force: true });
    const pglite = await openPglite(dataDir, new Blob([readFileSync(file)]));
    try {
      await pglite.query('select 1');
    } finally {
      await pglite.close();
    }
  } finally {
    await unlock();
  }
}
