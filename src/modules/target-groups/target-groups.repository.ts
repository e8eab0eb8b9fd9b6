import { and, asc, eq, isNull, or, type Placeholder, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
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
export function subtreeIds(rootId: number | Placeholder) {
  return sql`(with recursive sub(id) as (
      select ${rootId}::int
      union all
      select tg.id from ${targetGroups} tg join sub on tg.parent_id = sub.id
    ) select id from sub)`;
}

/**
 * The parent of each of the given groups and of every group above them, up to the FFB roots (null
 * for a root): what a rule needs to tell whether one group lies under another.
 */
export async function parentsUpFrom(db: Queryable, ids: readonly number[]): Promise<Map<number, number | null>> {
  if (ids.length === 0) return new Map();
  const found = await rows<{ id: number; parent_id: number | null }>(
    db,
    sql`with recursive up(id, parent_id) as (
      select id, parent_id from ${targetGroups} where id in ${sql`(${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`}
      union
      select tg.id, tg.parent_id from ${targetGroups} tg join up on tg.id = up.parent_id
    ) select id, parent_id from up`,
  );
  return new Map(found.map((r) => [Number(r.id), r.parent_id === null ? null : Number(r.parent_id)]));
}
