import { sql } from 'drizzle-orm';
import { type Queryable, resultRows } from '../../db/client.ts';

/** A statement that needs nothing but an answering database. */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.execute(sql`select 1 as ok`);
}

/** How many migrations the database has applied (drizzle's own table). */
export async function countAppliedMigrations(db: Queryable): Promise<number> {
  const [row] = resultRows(await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as {
    n: number;
  }[];
  return Number(row?.n ?? 0);
}
