import { type Placeholder, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { jsonArray } from '../../db/json-rows.ts';
import { sqlOnce, sqlOnceEach } from '../../db/prepared.ts';
import { recordEntities } from '../../db/schema/index.ts';

/** The dates the follow-up page looks from and to. */
export interface FollowUpWindows {
  today: string;
  reportsSoon: string;
  agreementsAhead: string;
}

/** A value of a list's statement: given, or a placeholder of the statement built once. */
type Value<T> = T | Placeholder;

const reportsWhere = (m: Value<number>, soon: Value<string>) => sql`r.municipality_code = ${m}
      and g.status in ('approved', 'paid') and g.report_received_on is null and g.report_due_on <= ${soon}::date`;
const agreementsWhere = (m: Value<number>, today: Value<string>, ahead: Value<string>) => sql`a.municipality_code = ${m}
      and a.status = 'active'
      and ((a.ends_on between ${today}::date and ${ahead}::date) or a.review_on <= ${ahead}::date)`;
/** The pace: the last meeting held (or the start) plus the interval, passed without a meeting since. */
const nextDue = sql`(coalesce((select max(m.held_on) from meetings m where m.agreement_id = a.id), a.starts_on)
      + make_interval(months => a.meeting_interval_months::int))::date`;
const meetingsWhere = (m: Value<number>, today: Value<string>) => sql`a.municipality_code = ${m}
      and a.status = 'active' and a.meeting_interval_months is not null and ${nextDue} < ${today}::date`;

/** Open action items: the user's own (`owner`), or all of the municipality's agreements' (`a` joined). */
type Whose = { owner: Value<number> } | { municipality: Value<number> };
const itemsWhere = (whose: Whose) =>
  sql`i.done_at is null and ${'owner' in whose ? sql`i.owner_user_id = ${whose.owner}` : sql`a.municipality_code = ${whose.municipality}`}`;

/** How many of each list there are, and the user's own open action items, in one statement. */
export async function countFollowUps(db: Queryable, municipalityCode: number, userId: number, w: FollowUpWindows) {
  const [row] = await rows<{ reports: number; agreements: number; meetings: number; items: number }>(
    db,
    sql`
      select
        (select count(*)::int from grants g join grant_rounds r on r.id = g.round_id
          where ${reportsWhere(municipalityCode, w.reportsSoon)}) as reports,
        (select count(*)::int from agreements a where ${agreementsWhere(municipalityCode, w.today, w.agreementsAhead)}) as agreements,
        (select count(*)::int from agreements a where ${meetingsWhere(municipalityCode, w.today)}) as meetings,
        (select count(*)::int from action_items i where ${itemsWhere({ owner: userId })}) as items`,
  );
  return row;
}

/** Open action items of a municipality's agreements, all of them (the home page's list shows 25, or 500 shown whole). */
export async function countOpenActionItems(db: Queryable, municipalityCode: number): Promise<number> {
  const [row] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from action_items i join agreements a on a.id = i.agreement_id
      where ${itemsWhere({ municipality: municipalityCode })}`,
  );
  return row?.n ?? 0;
}

export interface ReportDue {
  id: number;
  title: string;
  actorId: number;
  actorName: string;
  roundName: string;
  year: number;
  dueOn: string;
  caseHandlerId: number | null;
}
export interface AgreementDue {
  id: number;
  title: string;
  endsOn: string | null;
  reviewOn: string | null;
  coordinatorUserId: number | null;
}
export interface MeetingsOverdue {
  id: number;
  title: string;
  dueOn: string;
  intervalMonths: number;
  coordinatorUserId: number | null;
}
export interface OpenActionItem {
  id: number;
  text: string;
  dueOn: string | null;
  agreementId: number;
  agreementTitle: string;
  ownerUserId: number | null;
  ownerName: string | null;
  ownerUserName: string | null;
  version: number;
}
interface RecentChange {
  at: string;
  entity: string;
  entityId: string;
  action: string;
  label: string | null;
  agreementId: number | null;
  userName: string | null;
  roundName: string | null;
  year: number | null;
}
interface StartingPoints {
  colleagues: boolean;
  actors: boolean;
  rounds: boolean;
}

/**
 * Grants whose report is due by the window's end and not received, with their round and its year,
 * and their case handler. The actors' names are read for the grants listed only.
 */
const reportsList = (m: Value<number>, soon: Value<string>, limit: Value<number>) => sql`
          select g.id, g.title, g.actor_id as "actorId", ac.name as "actorName", g.round_name as "roundName", g.year,
            g.report_due_on::text as "dueOn", g.case_handler_id as "caseHandlerId"
          from (
            select g.id, g.title, g.actor_id, r.name as round_name, r.year, g.report_due_on, g.case_handler_id
            from grants g join grant_rounds r on r.id = g.round_id
            where ${reportsWhere(m, soon)}
            order by g.report_due_on, g.id limit ${limit}
          ) g join actors ac on ac.id = g.actor_id
          order by g.report_due_on, g.id`;

/** Active agreements that end or are up for review within the window. */
const agreementsList = (m: Value<number>, today: Value<string>, ahead: Value<string>, limit: Value<number>) => sql`
          select a.id, a.title, a.ends_on::text as "endsOn", a.review_on::text as "reviewOn",
            a.coordinator_user_id as "coordinatorUserId"
          from agreements a where ${agreementsWhere(m, today, ahead)}
          order by least(coalesce(a.ends_on, 'infinity'::date), coalesce(a.review_on, 'infinity'::date)), a.id
          limit ${limit}`;

/** Active agreements whose meeting pace has passed without a meeting. */
const meetingsList = (m: Value<number>, today: Value<string>, limit: Value<number>) => sql`
          select a.id, a.title, ${nextDue}::text as "dueOn", a.meeting_interval_months as "intervalMonths",
            a.coordinator_user_id as "coordinatorUserId"
          from agreements a where ${meetingsWhere(m, today)}
          order by ${nextDue}, a.id limit ${limit}`;

/** Open action items: the user's own (`owner`), or all of the municipality's agreements'. */
const itemsList = (whose: Whose, limit: Value<number>) => sql`
          select i.id, i.text, i.due_on::text as "dueOn", i.agreement_id as "agreementId", a.title as "agreementTitle",
            i.owner_user_id as "ownerUserId", i.owner_name as "ownerName", u.name as "ownerUserName", i.version
          from action_items i join agreements a on a.id = i.agreement_id left join users u on u.id = i.owner_user_id
          where ${itemsWhere(whose)}
          order by i.due_on asc nulls last, i.id limit ${limit}`;

/**
 * The latest fifteen changes to the municipality's records within the last days, with names (a
 * grant's with its round and year), from the partial index of the records' changes
 * (audit_log_records_recent_idx): the sign-ins and refusals between them are not read.
 */
const changesList = (m: Value<number>, days: Value<number>) => sql`
          select l.at::text as at, l.entity, l.entity_id as "entityId", l.action,
            coalesce(l.after->>'name', l.after->>'title', l.before->>'name', l.before->>'title', ag.title,
              l.after->>'unit') as label,
            ag.id as "agreementId", u.name as "userName", r.name as "roundName", r.year
          from (
            -- The latest fifteen first (from the index), then their names.
            select * from audit_log
            where municipality_code = ${m} and at > now() - make_interval(days => ${days})
              and entity in ${recordEntities}
            order by at desc, id desc limit 15
          ) l
          left join users u on u.id = l.user_id
          left join agreements ag on l.entity in ('meeting', 'action_item')
            and ag.id = (coalesce(l.after, l.before)->>'agreementId')::int
          -- A grant's round and year: two years' grants to one actor often share a title.
          left join grants gr on gr.id = case when l.entity = 'grant' and l.entity_id ~ '^[0-9]{1,9}$'
            then l.entity_id::int end
          left join grant_rounds r on r.id = gr.round_id
          order by l.at desc, l.id desc`;

/** What a municipality has begun with: a colleague of the user, an actor working there, a § 18 round. */
const begunWith = (m: Value<number>, userId: Value<number>) => sql`
          exists (select 1 from users u where u.municipality_code = ${m} and u.id <> ${userId}) as colleagues,
          (exists (select 1 from actors a where a.home_municipality_code = ${m})
            or exists (select 1 from actor_municipalities am where am.municipality_code = ${m})) as actors,
          exists (select 1 from grant_rounds r where r.municipality_code = ${m}) as rounds`;

export async function reportsDueSoon(db: Queryable, m: number, w: FollowUpWindows, limit = 100): Promise<ReportDue[]> {
  return reportsStatement(db, { m, reportsSoon: w.reportsSoon, limit });
}

export async function agreementsDueSoon(db: Queryable, m: number, w: FollowUpWindows, limit = 100) {
  return rows<AgreementDue & Record<string, unknown>>(db, agreementsList(m, w.today, w.agreementsAhead, limit));
}

export async function agreementsWithMeetingsOverdue(db: Queryable, m: number, w: FollowUpWindows, limit = 100) {
  return rows<MeetingsOverdue & Record<string, unknown>>(db, meetingsList(m, w.today, limit));
}

export async function openActionItems(
  db: Queryable,
  who: { mine: boolean; userId: number; municipalityCode: number },
  limit = 100,
) {
  const whose = who.mine ? { owner: who.userId } : { municipality: who.municipalityCode };
  return rows<OpenActionItem & Record<string, unknown>>(db, itemsList(whose, limit));
}

const p = {
  m: sql.placeholder('m'),
  userId: sql.placeholder('userId'),
  today: sql.placeholder('today'),
  reportsSoon: sql.placeholder('reportsSoon'),
  agreementsAhead: sql.placeholder('agreementsAhead'),
  days: sql.placeholder('days'),
  limit: sql.placeholder('limit'),
  agreementsLimit: sql.placeholder('agreementsLimit'),
  meetingsLimit: sql.placeholder('meetingsLimit'),
  itemsLimit: sql.placeholder('itemsLimit'),
};

/**
 * The reports due, as plain rows: the longest list of the home page (up to 500 when it is shown whole).
 * Built as JSON, a hundred cost PostgreSQL 0.6 ms; sent as rows, 0.2 ms.
 */
const reportsStatement = sqlOnce<{ m: number; reportsSoon: string; limit: number }, ReportDue>(
  'follow_up_reports',
  () => reportsList(p.m, p.reportsSoon, p.limit),
);

interface OverviewRow extends StartingPoints {
  agreementsDue: AgreementDue[];
  meetingsOverdue: MeetingsOverdue[];
  actionItems: OpenActionItem[];
  changes: RecentChange[];
}

/**
 * The home page's other lists and the municipality's starting points in one statement, built once
 * for each of its two shapes (the user's own action items, or the municipality's): beside the
 * reports, two statements, not six, on the page every user opens first (issue 17). Each list is the
 * statement the reminders run on its own, its rows as JSON in its order.
 */
const overviewStatement = sqlOnceEach<'mine' | 'all', Record<string, unknown>, OverviewRow>(
  'follow_up_overview',
  (mine) => sql`select
          ${jsonArray(agreementsList(p.m, p.today, p.agreementsAhead, p.agreementsLimit))} as "agreementsDue",
          ${jsonArray(meetingsList(p.m, p.today, p.meetingsLimit))} as "meetingsOverdue",
          ${jsonArray(itemsList(mine === 'mine' ? { owner: p.userId } : { municipality: p.m }, p.itemsLimit))} as "actionItems",
          ${jsonArray(changesList(p.m, p.days))} as changes,
          ${begunWith(p.m, p.userId)}`,
);

/** How many rows each of the overview's lists reads at most. */
export interface ListLimits {
  reports: number;
  agreementsDue: number;
  meetingsOverdue: number;
  actionItems: number;
}

export async function followUpOverview(
  db: Queryable,
  who: { mine: boolean; userId: number; municipalityCode: number },
  w: FollowUpWindows,
  recentDays: number,
  limits: ListLimits,
): Promise<OverviewRow & { reports: ReportDue[] }> {
  const m = who.municipalityCode;
  const [reports, [row]] = await Promise.all([
    reportsDueSoon(db, m, w, limits.reports),
    overviewStatement(db, who.mine ? 'mine' : 'all', {
      m,
      userId: who.userId,
      today: w.today,
      agreementsAhead: w.agreementsAhead,
      days: recentDays,
      agreementsLimit: limits.agreementsDue,
      meetingsLimit: limits.meetingsOverdue,
      itemsLimit: limits.actionItems,
    }),
  ]);
  if (!row) throw new Error('the follow-up overview answered no row');
  return { ...row, reports };
}
