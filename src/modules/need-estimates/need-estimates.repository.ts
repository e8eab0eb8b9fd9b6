import { and, asc, eq, notInArray, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { needEstimates, targetGroups } from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';

export type NeedEstimateRow = typeof needEstimates.$inferSelect;

export async function estimatesOf(db: Queryable, municipalityCode: number, year: number): Promise<NeedEstimateRow[]> {
  return db
    .select()
    .from(needEstimates)
    .where(and(eq(needEstimates.municipalityCode, municipalityCode), eq(needEstimates.year, year)))
    .orderBy(asc(needEstimates.targetGroupId));
}

/** Takes the year's estimates under lock, so concurrent replacements queue rather than interleave. */
export async function lockYear(db: Queryable, municipalityCode: number, year: number): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('need_estimates'), ${municipalityCode * 10_000 + year})`);
}

/**
 * Makes the year's estimates exactly these rows: others are deleted, changed ones get a new version,
 * unchanged ones keep theirs (so an edit begun before stays valid only if nothing changed under it).
 */
export async function replaceEstimates(
  db: Queryable,
  municipalityCode: number,
  year: number,
  rows: { targetGroupId: number; people: number; source: string | null; note: string | null }[],
): Promise<void> {
  const keep = rows.map((r) => r.targetGroupId);
  await db
    .delete(needEstimates)
    .where(
      and(
        eq(needEstimates.municipalityCode, municipalityCode),
        eq(needEstimates.year, year),
        keep.length ? notInArray(needEstimates.targetGroupId, keep) : undefined,
      ),
    );
  if (!rows.length) return;
  await db
    .insert(needEstimates)
    .values(rows.map((r) => ({ ...r, municipalityCode, year })))
    .onConflictDoUpdate({
      target: [needEstimates.municipalityCode, needEstimates.year, needEstimates.targetGroupId],
      set: {
        people: sql`excluded.people`,
        source: sql`excluded.source`,
        note: sql`excluded.note`,
        ...nextVersionNow(needEstimates),
      },
      setWhere: sql`(${needEstimates.people}, ${needEstimates.source}, ${needEstimates.note}) is distinct from (excluded.people, excluded.source, excluded.note)`,
    });
}

export async function upsertEstimate(
  db: Queryable,
  values: { municipalityCode: number; year: number; targetGroupId: number; people: number; source: string | null },
): Promise<NeedEstimateRow> {
  const [row] = await db
    .insert(needEstimates)
    .values(values)
    .onConflictDoUpdate({
      target: [needEstimates.municipalityCode, needEstimates.year, needEstimates.targetGroupId],
      set: {
        people: values.people,
        source: values.source,
        ...nextVersionNow(needEstimates),
      },
    })
    .returning();
  if (!row) throw new Error('upsert returned no row');
  return row;
}

export async function deleteEstimate(db: Queryable, municipalityCode: number, year: number, targetGroupId: number) {
  await db
    .delete(needEstimates)
    .where(
      and(
        eq(needEstimates.municipalityCode, municipalityCode),
        eq(needEstimates.year, year),
        eq(needEstimates.targetGroupId, targetGroupId),
      ),
    );
}

/** Groups a municipality may estimate: the FFB groups and its own local groups. */
export async function estimableGroupIds(db: Queryable, municipalityCode: number): Promise<Set<number>> {
  const rows = await db
    .select({ id: targetGroups.id })
    .from(targetGroups)
    .where(sql`${targetGroups.municipalityCode} is null or ${targetGroups.municipalityCode} = ${municipalityCode}`);
  return new Set(rows.map((r) => r.id));
}
