import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { actors, grantAllocations, grantRounds, grants, municipalities } from '../../db/schema/index.ts';
import type { PageQuery } from '../../lib/pagination.ts';
import { AWARDED, type RoundRow } from '../grants/grants.repository.ts';

/*
 * What the public pages read: the rounds anyone may see, and a decided round's distribution list.
 * Only names of organisations and the grants' own fields are read here: never a contact person.
 */

/**
 * A round is public once it is more than an idea: planned with an application window, or further on.
 * The SQL form (for paging in the database) of `roundPhase(round) !== null` in grants.rules.ts: change both together.
 */
const isPublic: SQL = sql`(${grantRounds.status} <> 'planned' or ${grantRounds.applicationsOpenOn} is not null)`;

const publicOrder = [
  sql`${grantRounds.year} desc`,
  sql`${grantRounds.applicationsOpenOn} desc nulls last`,
  asc(grantRounds.name),
  asc(grantRounds.id),
];

/** The municipalities with at least one public round, by name, with how many they have. */
export async function municipalitiesWithPublicRounds(db: Queryable) {
  return db
    .select({
      code: municipalities.code,
      name: municipalities.name,
      regionName: municipalities.regionName,
      rounds: sql<number>`count(*)::int`,
    })
    .from(grantRounds)
    .innerJoin(municipalities, eq(municipalities.code, grantRounds.municipalityCode))
    .where(isPublic)
    .groupBy(municipalities.code)
    .orderBy(asc(municipalities.name));
}

/** One page of the public rounds (of one municipality), newest year first, and how many there are. */
export async function publicRoundRows(
  db: Queryable,
  filter: { municipalityCode?: number | undefined },
  page: PageQuery,
): Promise<{ rows: RoundRow[]; total: number }> {
  const where =
    filter.municipalityCode === undefined
      ? isPublic
      : and(isPublic, eq(grantRounds.municipalityCode, filter.municipalityCode));
  const [rows, [counted]] = await Promise.all([
    db
      .select()
      .from(grantRounds)
      .where(where)
      .orderBy(...publicOrder)
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: sql<number>`count(*)::int` }).from(grantRounds).where(where),
  ]);
  return { rows, total: counted?.n ?? 0 };
}

/** A public round's row, or nothing when there is none or it is not public. */
export async function publicRoundRow(db: Queryable, id: number): Promise<RoundRow | undefined> {
  const [row] = await db
    .select()
    .from(grantRounds)
    .where(and(eq(grantRounds.id, id), isPublic));
  return row;
}

export interface DistributionRow {
  grantId: number;
  actorName: string;
  title: string;
  purpose: string | null;
  kind: 'money' | 'in_kind';
  awardedOre: number;
  targetGroupIds: number[];
}

/**
 * The round's awarded grants (approved, paid, accounted or closed): the organisation's name, the
 * grant's title, purpose, kind and amount, and the target groups its award is split across. An
 * application, a rejection or a withdrawal is not on it.
 */
export async function distributionList(db: Queryable, roundId: number): Promise<DistributionRow[]> {
  const rows = await db
    .select({
      grantId: grants.id,
      actorName: actors.name,
      title: grants.title,
      purpose: grants.purpose,
      kind: grants.kind,
      awardedOre: sql<number>`coalesce(${grants.awardedOre}, 0)`.mapWith(Number),
    })
    .from(grants)
    .innerJoin(actors, eq(actors.id, grants.actorId))
    .where(and(eq(grants.roundId, roundId), sql`${grants.status} in ${AWARDED}`))
    .orderBy(asc(actors.nameNorm), asc(grants.title), asc(grants.id));
  const groups = rows.length
    ? await db
        .select({ grantId: grantAllocations.grantId, targetGroupId: grantAllocations.targetGroupId })
        .from(grantAllocations)
        .where(
          inArray(
            grantAllocations.grantId,
            rows.map((r) => r.grantId),
          ),
        )
        .orderBy(asc(grantAllocations.grantId), sql`${grantAllocations.amountOre} desc`)
    : [];
  const byGrant = new Map<number, number[]>();
  for (const g of groups) byGrant.set(g.grantId, [...(byGrant.get(g.grantId) ?? []), g.targetGroupId]);
  return rows.map((r) => ({ ...r, targetGroupIds: byGrant.get(r.grantId) ?? [] }));
}
