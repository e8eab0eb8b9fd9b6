// The status meetings of agreements and their action items (agreements.meetings.ts).
import { and, asc, count, desc, eq, inArray, isNull, max, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { intArray } from '../../db/params.ts';
import { builtOnce } from '../../db/prepared.ts';
import { actionItems, agreements, meetings } from '../../db/schema/index.ts';
import { atVersion, nextVersionNow } from '../../db/versions.ts';
import type { ActionItemRow, MeetingRow } from './agreements.repository.ts';
import type { ActionItemListQuery } from './agreements.schemas.ts';

export async function meetingsOf(db: Queryable, agreementId: number): Promise<MeetingRow[]> {
  return db
    .select()
    .from(meetings)
    .where(eq(meetings.agreementId, agreementId))
    .orderBy(...newestFirst);
}

/** The order meetings are shown in: newest first, by the day held, or planned if not yet held. */
const newestFirst = [desc(sql`coalesce(${meetings.heldOn}, ${meetings.plannedOn})`), desc(meetings.id)];

/** An action item as the page of meetings reads it (JSON, with its row's fields). */
const ITEM_JSON = `json_build_object('id', a.id, 'meetingId', a.meeting_id, 'agreementId', a.agreement_id,
  'text', a.text, 'ownerUserId', a.owner_user_id, 'ownerName', a.owner_name, 'dueOn', a.due_on,
  'doneAt', a.done_at, 'doneByUserId', a.done_by_user_id, 'version', a.version,
  'createdAt', a.created_at, 'updatedAt', a.updated_at)`;
/** The meeting planned next, as JSON with its row's fields. */
const MEETING_JSON = `json_build_object('id', p.id, 'agreementId', p.agreement_id, 'plannedOn', p.planned_on,
  'heldOn', p.held_on, 'participants', p.participants, 'notes', p.notes, 'decisions', p.decisions,
  'version', p.version, 'createdAt', p.created_at, 'updatedAt', p.updated_at)`;

/** A row as JSON gives it: its times as text. */
type AsJson<R> = { [K in keyof R]: R[K] extends Date ? string : R[K] extends Date | null ? string | null : R[K] };

/**
 * One page of an agreement's meetings, newest first, with each one's action items, how many meetings
 * it has in all, the meeting planned next and the day of the last one held (the same on every row):
 * one statement, not four, on the agreement page and in the answer to every meeting logged (issue 17).
 * The subqueries name the meeting's table, as drizzle writes a lone table's columns without it.
 */
const meetingsPage = builtOnce<
  { agreementId: number; limit: number; offset: number },
  {
    meeting: MeetingRow;
    total: number;
    items: AsJson<ActionItemRow>[];
    planned: AsJson<MeetingRow> | null;
    lastHeldOn: string | null;
  }[]
>('meetings_page', (db) =>
  db
    .select({
      meeting: meetings,
      // Counted from the index apart from the page: `count(*) over ()` read every meeting of the
      // agreement to show ten (856 of them, 0.66 ms, on the bench's agreement).
      total: sql<number>`(select count(*)::int from meetings c where c.agreement_id = ${sql.placeholder('agreementId')})`,
      items: sql<AsJson<ActionItemRow>[]>`coalesce((select json_agg(${sql.raw(ITEM_JSON)} order by a.id)
        from action_items a where a.meeting_id = "meetings"."id"), '[]'::json)`,
      planned: sql<AsJson<MeetingRow> | null>`(select ${sql.raw(MEETING_JSON)} from meetings p
        where p.agreement_id = ${sql.placeholder('agreementId')} and p.held_on is null
        order by p.planned_on asc, p.id desc limit 1)`,
      lastHeldOn: sql<string | null>`(select max(h.held_on) from meetings h
        where h.agreement_id = ${sql.placeholder('agreementId')})`,
    })
    .from(meetings)
    .where(eq(meetings.agreementId, sql.placeholder('agreementId')))
    .orderBy(...newestFirst)
    .limit(sql.placeholder('limit'))
    .offset(sql.placeholder('offset')),
);

function itemFromJson(item: AsJson<ActionItemRow>): ActionItemRow {
  return {
    ...item,
    doneAt: item.doneAt === null ? null : new Date(item.doneAt),
    createdAt: new Date(item.createdAt),
    updatedAt: new Date(item.updatedAt),
  };
}

function meetingFromJson(meeting: AsJson<MeetingRow>): MeetingRow {
  return { ...meeting, createdAt: new Date(meeting.createdAt), updatedAt: new Date(meeting.updatedAt) };
}

/** A page of meetings, each with its action items (the oldest first), and what the page says beside them. */
export interface MeetingsPageRows {
  rows: { meeting: MeetingRow; items: ActionItemRow[] }[];
  total: number;
  planned: MeetingRow | undefined;
  /** The day the last meeting held was held, on whatever page it is listed. */
  lastHeldOn: string | null;
}

export async function meetingsPageOf(
  db: Queryable,
  agreementId: number,
  page: { limit: number; offset: number },
): Promise<MeetingsPageRows> {
  const found = await meetingsPage(db, { agreementId, limit: page.limit, offset: page.offset });
  const [first] = found;
  if (first || !page.offset)
    return {
      rows: found.map((r) => ({ meeting: r.meeting, items: r.items.map(itemFromJson) })),
      total: Number(first?.total ?? 0),
      planned: first?.planned ? meetingFromJson(first.planned) : undefined,
      lastHeldOn: first?.lastHeldOn ?? null,
    };
  // A page past the end: the count, the last one held and the meeting planned next, apart.
  const [[counted], planned] = await Promise.all([
    db
      .select({ n: count(), lastHeldOn: max(meetings.heldOn) })
      .from(meetings)
      .where(eq(meetings.agreementId, agreementId)),
    nextPlannedMeetingOf(db, agreementId),
  ]);
  return { rows: [], total: Number(counted?.n ?? 0), planned, lastHeldOn: counted?.lastHeldOn ?? null };
}

/** The meeting planned and not yet held that comes first (of two on one day, the later made). */
async function nextPlannedMeetingOf(db: Queryable, agreementId: number): Promise<MeetingRow | undefined> {
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

/** A meeting's fields as written: a new one gets its id, version and times from the table. */
type NewMeeting = Pick<MeetingRow, 'agreementId' | 'plannedOn' | 'heldOn' | 'participants' | 'notes' | 'decisions'>;

const insertMeetingRow = builtOnce<NewMeeting, MeetingRow[]>('insert_meeting', (db) =>
  db
    .insert(meetings)
    .values({
      agreementId: sql.placeholder('agreementId'),
      plannedOn: sql.placeholder('plannedOn'),
      heldOn: sql.placeholder('heldOn'),
      participants: sql.placeholder('participants'),
      notes: sql.placeholder('notes'),
      decisions: sql.placeholder('decisions'),
    })
    .returning(),
);

export async function insertMeeting(db: Queryable, values: NewMeeting): Promise<MeetingRow> {
  const [row] = await insertMeetingRow(db, values);
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
    .set({ ...values, ...nextVersionNow(meetings) })
    .where(atVersion(meetings, id, version))
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

const actionItemsOf = builtOnce<{ meetingIds: string }, ActionItemRow[]>('action_items_of_meetings', (db) =>
  db
    .select()
    .from(actionItems)
    .where(sql`${actionItems.meetingId} = any(${sql.placeholder('meetingIds')}::int[])`)
    .orderBy(asc(actionItems.id)),
);

export async function actionItemsOfMeetings(db: Queryable, meetingIds: number[]): Promise<ActionItemRow[]> {
  if (!meetingIds.length) return [];
  return actionItemsOf(db, { meetingIds: intArray(meetingIds) });
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
    .set({ doneAt: sql`now()`, doneByUserId: userId, ...nextVersionNow(actionItems) })
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
    .set({ ...values, ...nextVersionNow(actionItems) })
    .where(atVersion(actionItems, id, version))
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
