import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Database } from './client.ts';
import { seedReferenceData } from './seed/reference.ts';

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'drizzle');

/** An arbitrary constant: the advisory lock that lets only one process migrate at a time. */
const MIGRATION_LOCK = 7_318_245;

/** Applies the drizzle migrations and refreshes the reference data. Safe to run at every start. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'postgres' && database.url) {
    // One connection, so the advisory lock and the migration share a session.
    const single = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      await single`select pg_advisory_lock(${MIGRATION_LOCK})`;
      try {
        await migratePostgres(drizzlePostgres(single), { migrationsFolder });
      } finally {
        await single`select pg_advisory_unlock(${MIGRATION_LOCK})`;
      }
    } finally {
      await single.end({ timeout: 5 });
    }
  } else {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder });
  }
  await seedReferenceData(database.db);
}

/** What a migrated database holds: the reference data and the actors, for the operator to see. */
export async function countMigratedContents(database: Database) {
  const [counts] = await database.rows<{ municipalities: number; target_groups: number; actors: number }>(
    sql`select
            (select count(*)::int from municipalities) as municipalities,
            (select count(*)::int from target_groups where municipality_code is null) as target_groups,
            (select count(*)::int from actors) as actors`,
  );
  return counts;
}
