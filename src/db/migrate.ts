import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { Database } from './client.ts';
import { seedReferenceData } from './seed/reference.ts';

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle');

/** An arbitrary constant: the advisory lock that lets only one process migrate at a time. */
const MIGRATION_LOCK = 7_318_245;

/** Applies the drizzle migrations and refreshes the reference data. Safe to run at every start. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'postgres' && database.sql) {
    const reserved = await database.sql.reserve();
    try {
      await reserved`select pg_advisory_lock(${MIGRATION_LOCK})`;
      try {
        await migratePostgres(drizzlePostgres(reserved), { migrationsFolder });
      } finally {
        await reserved`select pg_advisory_unlock(${MIGRATION_LOCK})`;
      }
    } finally {
      reserved.release();
    }
  } else {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
  }
  await seedReferenceData(database.db);
}
