import { sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';

/** A statement that needs nothing but an answering database. */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.execute(sql`select 1 as ok`);
}

/** How many migrations the database has applied (drizzle's own table). */
export async function countAppliedMigrations(db: Queryable): Promise<number> {
  const [row] = await rows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return row?.n ?? 0;
}
