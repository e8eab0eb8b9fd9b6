import { and, asc, count, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { intArray } from '../../db/params.ts';
import {
  actionItems,
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
import type { ActionItemListQuery, AgreementListQuery } from './agreements.schemas.ts';

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

export async function findAgreement(db: Queryable, id: number, forUpdate = false): Promise<AgreementRow | undefined> {
  const q = db.select().from(agreements).where(eq(agreements.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
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
    .set({ ...values, version: sql`${agreements.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(agreements.id, id), eq(agreements.version, version)))
    .returning();
  return row;
}

/** The actors, target groups, responsibilities, grants and last meeting of several agreements, in one statement. */
export async function agreementParts(db: Queryable, ids: number[]): Promise<Map<number, AgreementParts>> {
  const out = new Map<number, AgreementParts>();
  if (!ids.length) return out;
  const parts = await rows<{
    id: number;
    actor_ids: number[];
    group_ids: number[];
    responsibilities: AgreementParts['responsibilities'];
    grant_ids: number[];
    last_held: string | null;
  }>(
    db,
    sql`
      select x.id,
        array(select aa.actor_id from ${agreementActors} aa where aa.agreement_id = x.id order by 1) as actor_ids,
        array(select t.target_group_id from ${agreementTargetGroups} t where t.agreement_id = x.id order by 1) as group_ids,
        coalesce((select json_agg(json_build_object('party', r.party, 'responsibility', r.responsibility) order by r.position)
          from ${agreementResponsibilities} r where r.agreement_id = x.id), '[]'::json) as responsibilities,
        array(select g.grant_id from ${agreementGrants} g where g.agreement_id = x.id order by 1) as grant_ids,
        (select max(m.held_on)::text from ${meetings} m where m.agreement_id = x.id) as last_held
      from unnest(${intArray(ids)}::int[]) as x(id)`,
  );
  for (const r of parts)
    out.set(r.id, {
      actorIds: r.actor_ids,
      targetGroupIds: r.group_ids,
      responsibilities: r.responsibilities,
      grantIds: r.grant_ids,
      lastMeetingHeldOn: r.last_held,
    });
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

export async function searchAgreements(
  db: Queryable,
  query: AgreementListQuery,
): Promise<{ rows: AgreementRow[]; total: number }> {
  const where: SQL[] = [];
  if (query.municipalityCode !== undefined) where.push(eq(agreements.municipalityCode, query.municipalityCode));
  if (query.status) where.push(eq(agreements.status, query.status));
  if (query.actorId !== undefined)
    where.push(
      sql`exists (select 1 from ${agreementActors} aa where aa.agreement_id = "agreements"."id" and aa.actor_id = ${query.actorId})`,
    );
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(
      sql`(${agreements.title} ilike ${like} or exists (select 1 from ${agreementActors} aa join ${actors} a on a.id = aa.actor_id where aa.agreement_id = "agreements"."id" and a.name ilike ${like}))`,
    );
  }
  const condition = where.length ? and(...where) : undefined;
  // The page and the number of matches in one statement; a page beyond the last counts them apart.
  const page = await db
    .select({ row: agreements, total: sql<number>`count(*) over ()` })
    .from(agreements)
    .where(condition)
    .orderBy(sql`case ${agreements.status} when 'active' then 0 when 'draft' then 1 else 2 end`, asc(agreements.title))
    .limit(query.limit)
    .offset(query.offset);
  const total = page.length
    ? Number(page[0]?.total ?? 0)
    : query.offset > 0
      ? ((await db.select({ n: sql<number>`count(*)::int` }).from(agreements).where(condition))[0]?.n ?? 0)
      : 0;
  return { rows: page.map((p) => p.row), total };
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
export async function usersOf(db: Queryable, municipalityCode: number) {
  return db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(eq(users.municipalityCode, municipalityCode), eq(users.active, true)))
    .orderBy(asc(users.name));
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

export async function userNames(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, ids));
  return new Map(rows.map((r) => [r.id, r.name]));
}

// ---- meetings and action items ----------------------------------------------------------------

export async function meetingsOf(db: Queryable, agreementId: number): Promise<MeetingRow[]> {
  return db
    .select()
    .from(meetings)
    .where(eq(meetings.agreementId, agreementId))
    .orderBy(...newestFirst);
}

/** The order meetings are shown in: newest first, by the day held, or planned if not yet held. */
const newestFirst = [desc(sql`coalesce(${meetings.heldOn}, ${meetings.plannedOn})`), desc(meetings.id)];

/**
 * One page of an agreement's meetings, newest first, and how many it has in all: a page, not the
 * agreement's whole history, which grows by every meeting logged (migration 0018 orders them).
 */
export async function meetingsPageOf(
  db: Queryable,
  agreementId: number,
  page: { limit: number; offset: number },
): Promise<{ rows: MeetingRow[]; total: number }> {
  // The page and the number of meetings beside it, in one statement; a page past the end counts apart.
  const found = await db
    .select({ meeting: meetings, total: sql<number>`(count(*) over ())::int` })
    .from(meetings)
    .where(eq(meetings.agreementId, agreementId))
    .orderBy(...newestFirst)
    .limit(page.limit)
    .offset(page.offset);
  if (found.length || !page.offset) return { rows: found.map((r) => r.meeting), total: Number(found[0]?.total ?? 0) };
  const [counted] = await db.select({ n: count() }).from(meetings).where(eq(meetings.agreementId, agreementId));
  return { rows: [], total: Number(counted?.n ?? 0) };
}

/** The meeting planned and not yet held that comes first (of two on one day, the later made). */
export async function nextPlannedMeetingOf(db: Queryable, agreementId: number): Promise<MeetingRow | undefined> {
  const [row] = await db
    .select()
    .from(meetings)
    .where(and(eq(meetings.agreementId, agreementId), isNull(meetings.heldOn)))
    .orderBy(asc(meetings.plannedOn), desc(meetings.id))
    .limit(1);
  return row;
}

export async function findMeeting(db: Queryable, id: number, forUpdate = false): Promise<MeetingRow | undefined> {
  const q = db.select().from(meetings).where(eq(meetings.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function insertMeeting(db: Queryable, values: typeof meetings.$inferInsert): Promise<MeetingRow> {
  const [row] = await db.insert(meetings).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateMeetingIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof meetings.$inferInsert>,
): Promise<MeetingRow | undefined> {
  const [row] = await db
    .update(meetings)
    .set({ ...values, version: sql`${meetings.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(meetings.id, id), eq(meetings.version, version)))
    .returning();
  return row;
}

export async function insertActionItems(
  db: Queryable,
  values: (typeof actionItems.$inferInsert)[],
): Promise<ActionItemRow[]> {
  if (!values.length) return [];
  return db.insert(actionItems).values(values).returning();
}

export async function actionItemsOfMeetings(db: Queryable, meetingIds: number[]): Promise<ActionItemRow[]> {
  if (!meetingIds.length) return [];
  return db.select().from(actionItems).where(inArray(actionItems.meetingId, meetingIds)).orderBy(asc(actionItems.id));
}

export async function findActionItem(db: Queryable, id: number, forUpdate = false): Promise<ActionItemRow | undefined> {
  const q = db.select().from(actionItems).where(eq(actionItems.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** How many of an agreement's action items are still open. */
export async function countOpenActionItems(db: Queryable, agreementId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(actionItems)
    .where(and(eq(actionItems.agreementId, agreementId), isNull(actionItems.doneAt)));
  return row?.n ?? 0;
}

/** Ticks off all of an agreement's open action items at once; returns them as they were. */
export async function closeOpenActionItems(
  db: Queryable,
  agreementId: number,
  userId: number | null,
): Promise<ActionItemRow[]> {
  const open = and(eq(actionItems.agreementId, agreementId), isNull(actionItems.doneAt));
  const before = await db.select().from(actionItems).where(open).orderBy(asc(actionItems.id)).for('update');
  if (!before.length) return [];
  await db
    .update(actionItems)
    .set({ doneAt: sql`now()`, doneByUserId: userId, version: sql`${actionItems.version} + 1`, updatedAt: sql`now()` })
    .where(
      inArray(
        actionItems.id,
        before.map((i) => i.id),
      ),
    );
  return before;
}

export async function updateActionItemIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof actionItems.$inferInsert>,
): Promise<ActionItemRow | undefined> {
  const [row] = await db
    .update(actionItems)
    .set({ ...values, version: sql`${actionItems.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(actionItems.id, id), eq(actionItems.version, version)))
    .returning();
  return row;
}

export async function searchActionItems(
  db: Queryable,
  query: ActionItemListQuery,
): Promise<{ rows: (ActionItemRow & { agreementTitle: string; municipalityCode: number })[]; total: number }> {
  const where: SQL[] = [];
  if (query.municipalityCode !== undefined) where.push(eq(agreements.municipalityCode, query.municipalityCode));
  if (query.agreementId !== undefined) where.push(eq(actionItems.agreementId, query.agreementId));
  if (query.ownerUserId !== undefined) where.push(eq(actionItems.ownerUserId, query.ownerUserId));
  if (query.open === true) where.push(isNull(actionItems.doneAt));
  if (query.open === false) where.push(sql`${actionItems.doneAt} is not null`);
  const condition = where.length ? and(...where) : undefined;
  const [rows, count] = await Promise.all([
    db
      .select({ item: actionItems, agreementTitle: agreements.title, municipalityCode: agreements.municipalityCode })
      .from(actionItems)
      .innerJoin(agreements, eq(agreements.id, actionItems.agreementId))
      .where(condition)
      .orderBy(sql`${actionItems.dueOn} asc nulls last`, asc(actionItems.id))
      .limit(query.limit)
      .offset(query.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(actionItems)
      .innerJoin(agreements, eq(agreements.id, actionItems.agreementId))
      .where(condition),
  ]);
  return {
    rows: rows.map((r) => ({ ...r.item, agreementTitle: r.agreementTitle, municipalityCode: r.municipalityCode })),
    total: count[0]?.n ?? 0,
  };
}
