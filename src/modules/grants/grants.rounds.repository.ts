import { and, asc, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { jsonArray, selectAs } from '../../db/json-rows.ts';
import { intArray } from '../../db/params.ts';
import { builtOnce, sqlOnce } from '../../db/prepared.ts';
import { grantRoundCriteria, grantRounds, grantRoundTargetGroups, grants } from '../../db/schema/index.ts';
import { atVersion, nextVersionNow } from '../../db/versions.ts';
import { oreSum } from '../../lib/money.ts';
import type { PageQuery } from '../../lib/pagination.ts';
import { AWARDED, type RoundRow } from './grants.repository.ts';

/* The § 18 rounds: their rows, their totals, and the budget's lock. */

// What a round's page reads on each request is built once (db/prepared.ts).
const roundById = builtOnce<{ id: number }, RoundRow[]>('round_by_id', (db) =>
  db
    .select()
    .from(grantRounds)
    .where(eq(grantRounds.id, sql.placeholder('id'))),
);

export async function findRound(db: Queryable, id: number, forUpdate = false): Promise<RoundRow | undefined> {
  const [row] = forUpdate
    ? await db.select().from(grantRounds).where(eq(grantRounds.id, id)).for('update')
    : await roundById(db, { id });
  return row;
}

export async function insertRound(db: Queryable, values: typeof grantRounds.$inferInsert): Promise<RoundRow> {
  const [row] = await db.insert(grantRounds).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateRoundIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof grantRounds.$inferInsert>,
): Promise<RoundRow | undefined> {
  const [row] = await db
    .update(grantRounds)
    .set({ ...values, ...nextVersionNow(grantRounds) })
    .where(atVersion(grantRounds, id, version))
    .returning();
  return row;
}

function roundFilter(municipalityCode?: number, year?: number): SQL | undefined {
  const where: SQL[] = [];
  if (municipalityCode !== undefined) where.push(eq(grantRounds.municipalityCode, municipalityCode));
  if (year !== undefined) where.push(eq(grantRounds.year, year));
  return where.length ? and(...where) : undefined;
}

const roundOrder = [
  sql`${grantRounds.year} desc`,
  asc(grantRounds.municipalityCode),
  asc(grantRounds.name),
  asc(grantRounds.id),
];

export async function listRounds(db: Queryable, municipalityCode?: number, year?: number): Promise<RoundRow[]> {
  return db
    .select()
    .from(grantRounds)
    .where(roundFilter(municipalityCode, year))
    .orderBy(...roundOrder);
}

/** One page of the rounds, newest year first, and how many the filter holds. */
export async function pageRounds(
  db: Queryable,
  filter: { municipalityCode?: number; year?: number },
  page: PageQuery,
): Promise<{ rows: RoundRow[]; total: number }> {
  const where = roundFilter(filter.municipalityCode, filter.year);
  const [rows, [counted]] = await Promise.all([
    db
      .select()
      .from(grantRounds)
      .where(where)
      .orderBy(...roundOrder)
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: sql<number>`count(*)::int` }).from(grantRounds).where(where),
  ]);
  return { rows, total: counted?.n ?? 0 };
}

/**
 * What a name or a menu shows of a round: not its description, dates and budget, which the grant
 * list's menu read on every request for nothing (ten rows, two timestamps each made a Date).
 */
const namedColumns = {
  id: grantRounds.id,
  municipalityCode: grantRounds.municipalityCode,
  year: grantRounds.year,
  name: grantRounds.name,
  status: grantRounds.status,
};
export type NamedRound = Pick<RoundRow, keyof typeof namedColumns>;
/** The order of a menu of rounds: the newest year first, then by municipality and name. */
const menuOrder = [sql`${grantRounds.year} desc`, asc(grantRounds.municipalityCode), asc(grantRounds.name)];

/** Rounds as names and menus show them, without their totals: by municipality, or by id. */
export async function roundRows(
  db: Queryable,
  filter: { municipalityCode?: number; ids?: number[] },
): Promise<NamedRound[]> {
  if (filter.municipalityCode !== undefined && !filter.ids)
    return roundsOfMunicipality(db, { municipalityCode: filter.municipalityCode });
  const where: SQL[] = [];
  if (filter.municipalityCode !== undefined) where.push(eq(grantRounds.municipalityCode, filter.municipalityCode));
  if (filter.ids) where.push(filter.ids.length ? inArray(grantRounds.id, filter.ids) : sql`false`);
  return db
    .select(namedColumns)
    .from(grantRounds)
    .where(where.length ? and(...where) : undefined)
    .orderBy(...menuOrder);
}

/** A municipality's rounds, for the menus of the round and grant forms on each request: built once. */
const roundsOfMunicipality = builtOnce<{ municipalityCode: number }, NamedRound[]>('rounds_of_municipality', (db) =>
  db
    .select(namedColumns)
    .from(grantRounds)
    .where(eq(grantRounds.municipalityCode, sql.placeholder('municipalityCode')))
    .orderBy(...menuOrder),
);

/**
 * A municipality's rounds as one JSON array, as roundsOfMunicipality reads them (columns, order):
 * for a statement that reads its menu beside its own rows (the grant list, grants.list.repository.ts).
 */
export function roundMenuJson(municipalityCode: SQLWrapper): SQL {
  return jsonArray(sql`select ${selectAs(namedColumns)} from ${grantRounds}
      where ${grantRounds.municipalityCode} = ${municipalityCode} order by ${sql.join(menuOrder, sql`, `)}`);
}

/** Sums are exact bigints: over many grants they can pass 2^53. */
export interface RoundTotals {
  roundId: number;
  requestedOre: bigint;
  awardedOre: bigint;
  paidOre: bigint;
  grantsByStatus: Record<string, number>;
}

type TotalsRow = { roundId: number; status: string; n: number; requested: string; awarded: string; paid: string };

/** The totals of the rounds `which` names, by status. */
const totalsOf = (db: Queryable, which: SQL) =>
  db
    .select({
      roundId: grants.roundId,
      status: grants.status,
      // Named, for the round's own statement, which reads them as JSON (roundWhole).
      n: sql<number>`count(*)::int`.as('n'),
      requested: sql<string>`coalesce(sum(${grants.requestedOre}), 0)::text`.as('requested'),
      awarded:
        sql<string>`coalesce(sum(${grants.awardedOre}) filter (where ${grants.status} in ${AWARDED}), 0)::text`.as(
          'awarded',
        ),
      paid: sql<string>`coalesce(sum(${grants.paidOre}), 0)::text`.as('paid'),
    })
    .from(grants)
    .where(which)
    .groupBy(grants.roundId, grants.status);

const totalsByStatus = builtOnce<{ roundIds: string }, TotalsRow[]>('round_totals_by_status', (db) =>
  totalsOf(db, sql`${grants.roundId} = any(${sql.placeholder('roundIds')}::int[])`),
);
/**
 * One round's, as a list of one round reads them: by `=`, PostgreSQL keeps one generic plan for the statement.
 * With `= any(array)` it cannot know how many rounds the array holds, and plans it again at every run.
 */
const totalsOfRound = builtOnce<{ roundId: number }, TotalsRow[]>('round_totals_of_round', (db) =>
  totalsOf(db, eq(grants.roundId, sql.placeholder('roundId'))),
);

/** Requested, awarded and (net) paid per round, and the number of grants in each status, in one query. */
export async function roundTotals(db: Queryable, roundIds: number[]): Promise<Map<number, RoundTotals>> {
  if (!roundIds.length) return new Map();
  const rows =
    roundIds.length === 1
      ? await totalsOfRound(db, { roundId: roundIds[0] as number })
      : await totalsByStatus(db, { roundIds: intArray(roundIds) });
  return totalsFrom(roundIds, rows);
}

function totalsFrom(roundIds: number[], rows: TotalsRow[]): Map<number, RoundTotals> {
  const out = new Map<number, RoundTotals>();
  for (const id of roundIds)
    out.set(id, { roundId: id, requestedOre: 0n, awardedOre: 0n, paidOre: 0n, grantsByStatus: {} });
  for (const r of rows) {
    const t = out.get(r.roundId);
    if (!t) continue;
    t.requestedOre += oreSum(r.requested);
    t.awardedOre += oreSum(r.awarded);
    t.paidOre += oreSum(r.paid);
    t.grantsByStatus[r.status] = Number(r.n);
  }
  return out;
}

/** The round's awarded total, read inside the transaction that holds the round's row lock. */
export async function awardedInRound(db: Queryable, roundId: number, exceptGrantId: number): Promise<bigint> {
  const [row] = await db
    .select({ awarded: sql<string>`coalesce(sum(${grants.awardedOre}), 0)::text` })
    .from(grants)
    .where(
      and(eq(grants.roundId, roundId), sql`${grants.status} in ${AWARDED}`, sql`${grants.id} <> ${exceptGrantId}`),
    );
  return oreSum(row?.awarded);
}

/** Rounds' rows locked until the transaction ends, in id order (so two writers cannot deadlock). */
export async function lockRounds(db: Queryable, roundIds: number[]): Promise<void> {
  if (!roundIds.length) return;
  await db
    .select({ id: grantRounds.id })
    .from(grantRounds)
    .where(inArray(grantRounds.id, roundIds))
    .orderBy(asc(grantRounds.id))
    .for('update');
}

/** Each round's awarded total (exact), in one statement; a round without awards is left out. */
export async function awardedByRound(db: Queryable, roundIds: number[]): Promise<Map<number, bigint>> {
  if (!roundIds.length) return new Map();
  const rows = await db
    .select({ roundId: grants.roundId, awarded: sql<string>`coalesce(sum(${grants.awardedOre}), 0)::text` })
    .from(grants)
    .where(and(inArray(grants.roundId, roundIds), sql`${grants.status} in ${AWARDED}`))
    .groupBy(grants.roundId);
  return new Map(rows.map((r) => [r.roundId, oreSum(r.awarded)]));
}

/** A round's public details kept beside its row: the prioritised target groups and the criteria in order. */
export interface RoundExtras {
  targetGroupIds: number[];
  criteria: { id: number; position: number; title: string; description: string | null }[];
}

type ExtrasRow = {
  round_id: number;
  kind: 'group' | 'criterion';
  id: number;
  position: number | null;
  title: string | null;
  description: string | null;
};

/**
 * The target groups and criteria of rounds, in one statement built once (a list of rounds sends one
 * more, not two; one round is read with its own, findRoundWhole): the groups first, by id, then the
 * criteria in their order.
 */
const extrasOf = (
  rounds: SQL,
) => sql`select round_id, 'group' as kind, target_group_id as id, null::smallint as position,
        null::text as title, null::text as description
      from ${grantRoundTargetGroups} where round_id ${rounds}
      union all
      select round_id, 'criterion', id, position, title, description
      from ${grantRoundCriteria} where round_id ${rounds}
      order by kind desc, position nulls first, id`;

const extrasOfRounds = sqlOnce<{ roundIds: string }, ExtrasRow>('round_extras', () =>
  extrasOf(sql`= any(${sql.placeholder('roundIds')}::int[])`),
);

export async function roundExtras(db: Queryable, roundIds: number[]): Promise<Map<number, RoundExtras>> {
  if (!roundIds.length) return new Map();
  return extrasFrom(roundIds, await extrasOfRounds(db, { roundIds: intArray(roundIds) }));
}

function extrasFrom(roundIds: number[], rows: ExtrasRow[]): Map<number, RoundExtras> {
  const out = new Map<number, RoundExtras>(roundIds.map((id) => [id, { targetGroupIds: [], criteria: [] }]));
  for (const r of rows) {
    const extras = out.get(Number(r.round_id));
    if (!extras) continue;
    if (r.kind === 'group') extras.targetGroupIds.push(Number(r.id));
    else
      extras.criteria.push({
        id: Number(r.id),
        position: Number(r.position),
        title: String(r.title),
        description: r.description,
      });
  }
  return out;
}

export async function replaceRoundTargetGroups(db: Queryable, roundId: number, ids: number[]): Promise<void> {
  await db.delete(grantRoundTargetGroups).where(eq(grantRoundTargetGroups.roundId, roundId));
  const unique = [...new Set(ids)];
  if (unique.length)
    await db.insert(grantRoundTargetGroups).values(unique.map((targetGroupId) => ({ roundId, targetGroupId })));
}

/**
 * Sets a round's criteria to the list, in its order: an item with an id updates that criterion (its
 * id stays), one without is added, and those not named are removed. The ids must be the round's own.
 */
export async function replaceRoundCriteria(
  db: Queryable,
  roundId: number,
  criteria: { id?: number | undefined; title: string; description?: string | null | undefined }[],
): Promise<void> {
  const kept = criteria.flatMap((c) => (c.id === undefined ? [] : [c.id]));
  await db
    .delete(grantRoundCriteria)
    .where(
      and(
        eq(grantRoundCriteria.roundId, roundId),
        kept.length ? sql`${grantRoundCriteria.id} not in ${kept}` : undefined,
      ),
    );
  for (const [i, c] of criteria.entries()) {
    const values = { position: i + 1, title: c.title, description: c.description ?? null };
    if (c.id === undefined) await db.insert(grantRoundCriteria).values({ roundId, ...values });
    else
      await db
        .update(grantRoundCriteria)
        .set(values)
        .where(and(eq(grantRoundCriteria.id, c.id), eq(grantRoundCriteria.roundId, roundId)));
  }
}

/**
 * One round with its totals by status and its target groups and criteria: one statement built once,
 * which a round's page and the grant forms read on each request. The three sent together before were
 * a socket write, a wake-up of a backend and an answer each (issue 17); the totals and the extras come
 * as JSON, each list in its statement's order.
 */
const roundWhole = builtOnce<{ id: number }, { row: RoundRow; totals: string; extras: string }[]>('round_whole', (db) =>
  db
    .select({
      row: grantRounds,
      totals: sql<string>`(select coalesce(json_agg(t), '[]')::text
        from (${totalsOf(db, eq(grants.roundId, grantRounds.id))}) t)`,
      // Aggregated in the list's order, said again: a subquery's order is kept only "usually".
      extras: sql<string>`(select coalesce(json_agg(x order by x.kind desc, x.position nulls first, x.id), '[]')::text
        from (${extrasOf(sql`= ${grantRounds.id}`)}) x)`,
    })
    .from(grantRounds)
    .where(eq(grantRounds.id, sql.placeholder('id'))),
);

/** A round's row with its totals and extras, as roundTotals and roundExtras give them; undefined if there is none. */
export async function findRoundWhole(
  db: Queryable,
  id: number,
): Promise<{ row: RoundRow; totals: Map<number, RoundTotals>; extras: Map<number, RoundExtras> } | undefined> {
  const [found] = await roundWhole(db, { id });
  if (!found) return undefined;
  const totals = (JSON.parse(found.totals) as (Omit<TotalsRow, 'roundId'> & { round_id: number })[]).map(
    ({ round_id, ...t }) => ({ ...t, roundId: round_id }),
  );
  return {
    row: found.row,
    totals: totalsFrom([id], totals),
    extras: extrasFrom([id], JSON.parse(found.extras) as ExtrasRow[]),
  };
}
