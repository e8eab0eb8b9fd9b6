import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { outreach } from '../../db/schema/index.ts';

export type OutreachRow = typeof outreach.$inferSelect;

export async function findOutreach(db: Queryable, id: number, forUpdate = false): Promise<OutreachRow | undefined> {
  const q = db.select().from(outreach).where(eq(outreach.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function insertOutreach(db: Queryable, values: typeof outreach.$inferInsert): Promise<OutreachRow> {
  const [row] = await db.insert(outreach).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateOutreachIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof outreach.$inferInsert>,
): Promise<OutreachRow | undefined> {
  const [row] = await db
    .update(outreach)
    .set({ ...values, version: sql`${outreach.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(outreach.id, id), eq(outreach.version, version)))
    .returning();
  return row;
}

/** Outreach by municipality or actor, and those whose period meets the days from..to. */
export async function searchOutreach(
  db: Queryable,
  q: { municipalityCode?: number; actorId?: number; from?: string; to?: string },
): Promise<OutreachRow[]> {
  const where: SQL[] = [];
  if (q.municipalityCode !== undefined) where.push(eq(outreach.municipalityCode, q.municipalityCode));
  if (q.actorId !== undefined) where.push(eq(outreach.actorId, q.actorId));
  if (q.to) where.push(sql`${outreach.periodStart} <= ${q.to}::date`);
  if (q.from) where.push(sql`(${outreach.periodEnd} is null or ${outreach.periodEnd} >= ${q.from}::date)`);
  return db
    .select()
    .from(outreach)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(outreach.startsAt), asc(outreach.id))
    .limit(2000);
}
