import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { targetGroups } from '../../db/schema/index.ts';

export type TargetGroupRow = typeof targetGroups.$inferSelect;

export async function listTargetGroups(db: Queryable, municipalityCode?: number): Promise<TargetGroupRow[]> {
  const where =
    municipalityCode === undefined
      ? undefined
      : or(isNull(targetGroups.municipalityCode), eq(targetGroups.municipalityCode, municipalityCode));
  return db.select().from(targetGroups).where(where).orderBy(asc(targetGroups.level), asc(targetGroups.nameDa));
}

export async function findTargetGroup(db: Queryable, id: number): Promise<TargetGroupRow | undefined> {
  const [row] = await db.select().from(targetGroups).where(eq(targetGroups.id, id));
  return row;
}

export async function findSibling(
  db: Queryable,
  parentId: number,
  municipalityCode: number,
  nameDa: string,
): Promise<TargetGroupRow | undefined> {
  const [row] = await db
    .select()
    .from(targetGroups)
    .where(
      and(
        eq(targetGroups.parentId, parentId),
        or(isNull(targetGroups.municipalityCode), eq(targetGroups.municipalityCode, municipalityCode)),
        sql`lower(${targetGroups.nameDa}) = lower(${nameDa})`,
      ),
    );
  return row;
}

export async function insertTargetGroup(
  db: Queryable,
  values: typeof targetGroups.$inferInsert,
): Promise<TargetGroupRow> {
  const [row] = await db.insert(targetGroups).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** SQL for the ids of a target group and all its descendants (FFB and local). */
export function subtreeIds(rootId: number) {
  return sql`(with recursive sub(id) as (
      select ${rootId}::int
      union all
      select tg.id from ${targetGroups} tg join sub on tg.parent_id = sub.id
    ) select id from sub)`;
}
