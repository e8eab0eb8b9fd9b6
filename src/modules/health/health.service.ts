import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../db/client.ts';
import { migrationsFolder } from '../../db/migrate.ts';
import { countAppliedMigrations, pingDatabase } from './health.repository.ts';

let journalEntries: number | undefined;
/** How many migrations this build ships (drizzle's journal). */
function journalLength(): number {
  journalEntries ??= (
    JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
  ).entries.length;
  return journalEntries;
}

/** What the health checks ask of the database: that it answers, and that it is migrated. */
export function createHealthService(db: Db) {
  return {
    /** Resolves when the database answers; throws when it does not. */
    async databaseAnswers(): Promise<void> {
      await pingDatabase(db);
    },

    /** How many migrations this build ships. */
    migrationsShipped: journalLength,

    /** How many of them the database has applied; throws when it cannot tell. */
    async migrationsApplied(): Promise<number> {
      return countAppliedMigrations(db);
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
