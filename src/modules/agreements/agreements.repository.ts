import { and, asc, desc, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { jsonArray, selectAs } from '../../db/json-rows.ts';
import { intArray } from '../../db/params.ts';
import { builtOnce, builtOnceEach, sqlOnce } from '../../db/prepared.ts';
import {
  type actionItems,
  actors,
  agreementActors,
  agreementGrants,
  agreementResponsibilities,
  agreements,
  agreementTargetGroups,
  grantRounds,
  grants,
  meetings,
  users,
} from '../../db/schema/index.ts';
import { atVersion, nextVersionNow } from '../../db/versions.ts';
import type { AgreementListQuery } from './agreements.schemas.ts';

export type AgreementRow = typeof agreements.$inferSelect;
export type MeetingRow = typeof meetings.$inferSelect;
export type ActionItemRow = typeof actionItems.$inferSelect;

export interface AgreementParts {
  actorIds: number[];
  targetGroupIds: number[];
  responsibilities: { party: string; responsibility: string }[];
  grantIds: number[];
  lastMeetingHeldOn: string | null;
}

// The reads every agreement page and meeting logged make are built once (db/prepared.ts).
const agreementById = builtOnce<{ id: number }, AgreementRow[]>('agreement_by_id', (db) =>
  db
    .select()
    .from(agreements)
    .where(eq(agreements.id, sql.placeholder('id'))),
);

const agreementToUpdate = builtOnce<{ id: number }, AgreementRow[]>('agreement_to_update', (db) =>
  db
    .select()
    .from(agreements)
    .where(eq(agreements.id, sql.placeholder('id')))
    .for('update'),
);

export async function findAgreement(db: Queryable, id: number, forUpdate = false): Promise<AgreementRow | undefined> {
  const [row] = await (forUpdate ? agreementToUpdate : agreementById)(db, { id });
  return row;
}

export async function insertAgreement(db: Queryable, values: typeof agreements.$inferInsert): Promise<AgreementRow> {
  const [row] = await db.insert(agreements).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateAgreementIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof agreements.$inferInsert>,
): Promise<AgreementRow | undefined> {
  const [row] = await db
    .update(agreements)
    .set({ ...values, ...nextVersionNow(agreements) })
    .where(atVersion(agreements, id, version))
    .returning();
  return row;
}

/**
 * An agreement's parts, each a subquery of the agreement given (an SQL reference to its id): the one
 * place they are written, for one agreement (agreementWithParts) and for several (agreementParts).
 */
function partsOf(agreement: SQL) {
  return {
    actorIds: sql<
      number[]
    >`array(select aa.actor_id from ${agreementActors} aa where aa.agreement_id = ${agreement} order by 1)`,
    targetGroupIds: sql<
      number[]
    >`array(select t.target_group_id from ${agreementTargetGroups} t where t.agreement_id = ${agreement} order by 1)`,
    responsibilities: sql<AgreementParts['responsibilities']>`coalesce((select json_agg(json_build_object('party',
      r.party, 'responsibility', r.responsibility) order by r.position)
      from ${agreementResponsibilities} r where r.agreement_id = ${agreement}), '[]'::json)`,
    grantIds: sql<
      number[]
    >`array(select g.grant_id from ${agreementGrants} g where g.agreement_id = ${agreement} order by 1)`,
    lastMeetingHeldOn: sql<
      string | null
    >`(select max(m.held_on)::text from ${meetings} m where m.agreement_id = ${agreement})`,
  };
}

/**
 * An agreement and its parts, in one statement built once: every agreement page reads it. The row's
 * id is written out with its table, as drizzle writes a lone table's columns without it (`"id"` in a
 * subquery would be the subquery's own).
 */
const agreementWithParts = builtOnce<{ id: number }, (AgreementParts & { row: AgreementRow })[]>(
  'agreement_with_parts',
  (db) =>
    db
      .select({ row: agreements, ...partsOf(sql.raw('"agreements"."id"')) })
      .from(agreements)
      .where(eq(agreements.id, sql.placeholder('id'))),
);

export async function findAgreementWithParts(
  db: Queryable,
  id: number,
): Promise<{ row: AgreementRow; parts: AgreementParts } | undefined> {
  const [found] = await agreementWithParts(db, { id });
  if (!found) return undefined;
  const { row, ...parts } = found;
  return { row, parts };
}

/** The actors, target groups, responsibilities, grants and last meeting of several agreements, built once. */
const partsOfAgreements = sqlOnce<{ ids: string }, { id: number } & AgreementParts>('agreement_parts', () => {
  const p = partsOf(sql.raw('x.id'));
  return sql`select x.id, ${p.actorIds} as "actorIds", ${p.targetGroupIds} as "targetGroupIds",
        ${p.responsibilities} as responsibilities, ${p.grantIds} as "grantIds",
        ${p.lastMeetingHeldOn} as "lastMeetingHeldOn"
      from unnest(${sql.placeholder('ids')}::int[]) as x(id)`;
});

/** The parts of several agreements, in one statement. */
export async function agreementParts(db: Queryable, ids: number[]): Promise<Map<number, AgreementParts>> {
  const out = new Map<number, AgreementParts>();
  if (!ids.length) return out;
  for (const { id, ...partsOfOne } of await partsOfAgreements(db, { ids: intArray(ids) })) out.set(id, partsOfOne);
  return out;
}

export async function replaceAgreementParts(
  db: Queryable,
  agreementId: number,
  parts: Partial<Omit<AgreementParts, 'lastMeetingHeldOn'>>,
): Promise<void> {
  if (parts.actorIds) {
    await db.delete(agreementActors).where(eq(agreementActors.agreementId, agreementId));
    if (parts.actorIds.length)
      await db.insert(agreementActors).values(parts.actorIds.map((actorId) => ({ agreementId, actorId })));
  }
  if (parts.targetGroupIds) {
    await db.delete(agreementTargetGroups).where(eq(agreementTargetGroups.agreementId, agreementId));
    if (parts.targetGroupIds.length)
      await db
        .insert(agreementTargetGroups)
        .values(parts.targetGroupIds.map((targetGroupId) => ({ agreementId, targetGroupId })));
  }
  if (parts.responsibilities) {
    await db.delete(agreementResponsibilities).where(eq(agreementResponsibilities.agreementId, agreementId));
    if (parts.responsibilities.length)
      await db
        .insert(agreementResponsibilities)
        .values(parts.responsibilities.map((r, position) => ({ agreementId, position, ...r })));
  }
  if (parts.grantIds) {
    await db.delete(agreementGrants).where(eq(agreementGrants.agreementId, agreementId));
    if (parts.grantIds.length)
      await db.insert(agreementGrants).values(parts.grantIds.map((grantId) => ({ agreementId, grantId })));
  }
}

/** The agreement list's order, an actor's page's too: active, then drafts, then the rest, by title. */
const listOrder = [
  sql`case ${agreements.status} when 'active' then 0 when 'draft' then 1 else 2 end`,
  asc(agreements.title),
  asc(agreements.id),
];

/**
 * The filters of the agreement list, by what is given: the actor page asks for one actor's, the list
 * for a municipality's with a status or words. Each shape is built once (db/prepared.ts). The page
 * comes with its parts: one statement, not two.
 */
const agreementPages = builtOnceEach<
  string,
  { municipalityCode?: number; status?: string; actorId?: number; like?: string; limit: number; offset: number },
  ({ row: AgreementRow; total: number } & AgreementParts)[]
>('agreement_page', (db, shape) => {
  const condition = agreementCondition(shape);
  // Each agreement's parts read for the page's rows only: PostgreSQL puts expensive expressions of the
  // select list above the sort and limit.
  return db
    .select({ row: agreements, total: sql<number>`count(*) over ()`, ...partsOf(sql.raw('"agreements"."id"')) })
    .from(agreements)
    .where(condition)
    .orderBy(...listOrder)
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset'));
});

/** Agreements the actor is a party to. */
function withActor(actorId: SQLWrapper): SQL {
  return sql`exists (select 1 from ${agreementActors} aa where aa.agreement_id = "agreements"."id" and aa.actor_id = ${actorId})`;
}

/** The list's conditions for the filters a shape names (m: municipality, s: status, a: actor, q: words). */
function agreementCondition(shape: string): SQL | undefined {
  const where: SQL[] = [];
  if (shape.includes('m')) where.push(eq(agreements.municipalityCode, sql.placeholder('municipalityCode')));
  if (shape.includes('s')) where.push(sql`${agreements.status} = ${sql.placeholder('status')}`);
  if (shape.includes('a')) where.push(withActor(sql.placeholder('actorId')));
  if (shape.includes('q'))
    where.push(
      sql`(${agreements.title} ilike ${sql.placeholder('like')} or exists (select 1 from ${agreementActors} aa join ${actors} a on a.id = aa.actor_id where aa.agreement_id = "agreements"."id" and a.name ilike ${sql.placeholder('like')}))`,
    );
  return where.length ? and(...where) : undefined;
}

export async function searchAgreements(
  db: Queryable,
  query: AgreementListQuery,
): Promise<{ rows: AgreementRow[]; total: number; parts: Map<number, AgreementParts> }> {
  const values = {
    municipalityCode: query.municipalityCode,
    status: query.status || undefined,
    actorId: query.actorId,
    like: query.q ? `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined,
    limit: query.limit,
    offset: query.offset,
  };
  const shape = [
    values.municipalityCode !== undefined ? 'm' : '',
    values.status ? 's' : '',
    values.actorId !== undefined ? 'a' : '',
    values.like ? 'q' : '',
  ].join('');
  // The page and the number of matches in one statement; a page beyond the last counts them apart.
  const page = await agreementPages(db, shape, values);
  const total = page.length
    ? Number(page[0]?.total ?? 0)
    : query.offset > 0
      ? ((
          await db
            .select({ n: sql<number>`count(*)::int` })
            .from(agreements)
            .where(agreementCondition(shape))
            .execute(values)
        )[0]?.n ?? 0)
      : 0;
  return {
    rows: page.map((p) => p.row),
    total,
    parts: new Map(page.map(({ row, total: _, ...parts }) => [row.id, parts])),
  };
}

/** What an actor's page shows of an agreement. */
const summaryColumns = {
  id: agreements.id,
  municipalityCode: agreements.municipalityCode,
  title: agreements.title,
  status: agreements.status,
  startsOn: agreements.startsOn,
  endsOn: agreements.endsOn,
};
/** An agreement as an actor's page lists it. */
export type AgreementSummary = Pick<AgreementRow, keyof typeof summaryColumns>;

/**
 * An actor's agreements as its page lists them, at most `limit`, in the list's order (listOrder), as
 * one JSON array: the actor's page reads them with the actor (actors.repository.ts), in one
 * statement. Their rows without the parts the list of agreements reads for each (five subqueries a
 * row), which the actor's page does not show.
 */
export function actorAgreementsJson(actorId: SQL, limit: SQLWrapper): SQL {
  return jsonArray(sql`select ${selectAs(summaryColumns)} from ${agreements} where ${withActor(actorId)}
      order by ${sql.join(listOrder, sql`, `)} limit ${limit}`);
}

/** Actors that do not exist, or are archived, among the given ids. */
export async function unusableActorIds(db: Queryable, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const found = await db
    .select({ id: actors.id })
    .from(actors)
    .where(and(inArray(actors.id, ids), sql`${actors.status} <> 'archived'`));
  const ok = new Set(found.map((r) => r.id));
  return ids.filter((id) => !ok.has(id));
}

/** Grants that are not this municipality's (or do not exist), among the given ids. */
export async function foreignGrantIds(db: Queryable, ids: number[], municipalityCode: number): Promise<number[]> {
  if (!ids.length) return [];
  const found = await db
    .select({ id: grants.id })
    .from(grants)
    .innerJoin(grantRounds, eq(grantRounds.id, grants.roundId))
    .where(and(inArray(grants.id, ids), eq(grantRounds.municipalityCode, municipalityCode)));
  const ok = new Set(found.map((r) => r.id));
  return ids.filter((id) => !ok.has(id));
}

/** The municipality's grants to the given actors: the ones an agreement may link to. */
export async function grantsOfActors(db: Queryable, actorIds: number[], municipalityCode: number) {
  if (!actorIds.length) return [];
  return db
    .select({ id: grants.id, title: grants.title, actorId: grants.actorId, year: grantRounds.year })
    .from(grants)
    .innerJoin(grantRounds, eq(grantRounds.id, grants.roundId))
    .where(and(inArray(grants.actorId, actorIds), eq(grantRounds.municipalityCode, municipalityCode)))
    .orderBy(desc(grantRounds.year), asc(grants.title))
    .limit(200);
}

/** Active users of a municipality: who may coordinate an agreement or own an action item. */
const activeUsersOf = builtOnce<{ municipalityCode: number }, { id: number; name: string }[]>('active_users_of', (db) =>
  db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(eq(users.municipalityCode, sql.placeholder('municipalityCode')), eq(users.active, true)))
    .orderBy(asc(users.name)),
);

export async function usersOf(db: Queryable, municipalityCode: number): Promise<{ id: number; name: string }[]> {
  return activeUsersOf(db, { municipalityCode });
}

export async function inactiveOrForeignUserIds(
  db: Queryable,
  ids: number[],
  municipalityCode: number,
): Promise<number[]> {
  if (!ids.length) return [];
  const found = await db
    .select({ id: users.id })
    .from(users)
    .where(and(inArray(users.id, ids), eq(users.municipalityCode, municipalityCode), eq(users.active, true)));
  const ok = new Set(found.map((r) => r.id));
  return ids.filter((id) => !ok.has(id));
}

const namesOfUsers = builtOnce<{ ids: string }, { id: number; name: string }[]>('names_of_users', (db) =>
  db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(sql`${users.id} = any(${sql.placeholder('ids')}::int[])`),
);

export async function userNames(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await namesOfUsers(db, { ids: intArray(ids) });
  return new Map(rows.map((r) => [r.id, r.name]));
}
