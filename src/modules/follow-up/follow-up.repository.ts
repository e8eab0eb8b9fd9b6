import { sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { recordEntities } from '../../db/schema/index.ts';

/** The dates the follow-up page looks from and to. */
export interface FollowUpWindows {
  today: string;
  reportsSoon: string;
  agreementsAhead: string;
}

const reportsWhere = (m: number, soon: string) => sql`r.municipality_code = ${m}
      and g.status in ('approved', 'paid') and g.report_received_on is null and g.report_due_on <= ${soon}::date`;
const agreementsWhere = (m: number, today: string, ahead: string) => sql`a.municipality_code = ${m}
      and a.status = 'active'
      and ((a.ends_on between ${today}::date and ${ahead}::date) or a.review_on <= ${ahead}::date)`;
/** The pace: the last meeting held (or the start) plus the interval, passed without a meeting since. */
const nextDue = sql`(coalesce((select max(m.held_on) from meetings m where m.agreement_id = a.id), a.starts_on)
      + make_interval(months => a.meeting_interval_months::int))::date`;
const meetingsWhere = (m: number, today: string) => sql`a.municipality_code = ${m}
      and a.status = 'active' and a.meeting_interval_months is not null and ${nextDue} < ${today}::date`;

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
        (select count(*)::int from action_items i where i.done_at is null and i.owner_user_id = ${userId}) as items`,
  );
  return row;
}

/** Grants whose report is due by the window's end and not received, with their round and its year, and their case handler. */
export async function reportsDueSoon(db: Queryable, m: number, w: FollowUpWindows, limit = 100) {
  return rows<{
    id: number;
    title: string;
    actorId: number;
    actorName: string;
    roundName: string;
    year: number;
    dueOn: string;
    caseHandlerId: number | null;
  }>(
    db,
    sql`
          select g.id, g.title, g.actor_id as "actorId", ac.name as "actorName", r.name as "roundName", r.year,
            g.report_due_on::text as "dueOn", g.case_handler_id as "caseHandlerId"
          from grants g join grant_rounds r on r.id = g.round_id join actors ac on ac.id = g.actor_id
          where ${reportsWhere(m, w.reportsSoon)}
          order by g.report_due_on, g.id limit ${limit}`,
  );
}

/** Active agreements that end or are up for review within the window. */
export async function agreementsDueSoon(db: Queryable, m: number, w: FollowUpWindows, limit = 100) {
  return rows<{
    id: number;
    title: string;
    endsOn: string | null;
    reviewOn: string | null;
    coordinatorUserId: number | null;
  }>(
    db,
    sql`
          select a.id, a.title, a.ends_on::text as "endsOn", a.review_on::text as "reviewOn",
            a.coordinator_user_id as "coordinatorUserId"
          from agreements a where ${agreementsWhere(m, w.today, w.agreementsAhead)}
          order by least(coalesce(a.ends_on, 'infinity'::date), coalesce(a.review_on, 'infinity'::date)), a.id
          limit ${limit}`,
  );
}

/** Active agreements whose meeting pace has passed without a meeting. */
export async function agreementsWithMeetingsOverdue(db: Queryable, m: number, w: FollowUpWindows, limit = 100) {
  return rows<{ id: number; title: string; dueOn: string; intervalMonths: number; coordinatorUserId: number | null }>(
    db,
    sql`
          select a.id, a.title, ${nextDue}::text as "dueOn", a.meeting_interval_months as "intervalMonths",
            a.coordinator_user_id as "coordinatorUserId"
          from agreements a where ${meetingsWhere(m, w.today)}
          order by ${nextDue}, a.id limit ${limit}`,
  );
}

/** Open action items: the user's own, or all of the municipality's agreements'. */
export async function openActionItems(
  db: Queryable,
  who: { mine: boolean; userId: number; municipalityCode: number },
  limit = 100,
) {
  return rows<{
    id: number;
    text: string;
    dueOn: string | null;
    agreementId: number;
    agreementTitle: string;
    ownerUserId: number | null;
    ownerName: string | null;
    ownerUserName: string | null;
    version: number;
  }>(
    db,
    sql`
          select i.id, i.text, i.due_on::text as "dueOn", i.agreement_id as "agreementId", a.title as "agreementTitle",
            i.owner_user_id as "ownerUserId", i.owner_name as "ownerName", u.name as "ownerUserName", i.version
          from action_items i join agreements a on a.id = i.agreement_id left join users u on u.id = i.owner_user_id
          where i.done_at is null and ${who.mine ? sql`i.owner_user_id = ${who.userId}` : sql`a.municipality_code = ${who.municipalityCode}`}
          order by i.due_on asc nulls last, i.id limit ${limit}`,
  );
}

/**
 * The latest fifteen changes to the municipality's records within the last days, with names (a
 * grant's with its round and year), from the partial index of the records' changes
 * (audit_log_records_recent_idx): the sign-ins and refusals between them are not read.
 */
export async function recentChanges(db: Queryable, m: number, since: { days: number }) {
  return rows<{
    at: string;
    entity: string;
    entityId: string;
    action: string;
    label: string | null;
    agreementId: number | null;
    userName: string | null;
    roundName: string | null;
    year: number | null;
  }>(
    db,
    sql`
          select l.at::text as at, l.entity, l.entity_id as "entityId", l.action,
            coalesce(l.after->>'name', l.after->>'title', l.before->>'name', l.before->>'title', ag.title,
              l.after->>'unit') as label,
            ag.id as "agreementId", u.name as "userName", r.name as "roundName", r.year
          from (
            -- The latest fifteen first (from the index), then their names.
            select * from audit_log
            where municipality_code = ${m} and at > now() - make_interval(days => ${since.days})
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
          order by l.at desc, l.id desc`,
  );
}

/** What a municipality has begun with: a colleague of the user, an actor working there, a § 18 round. */
export async function startingPoints(db: Queryable, m: number, userId: number) {
  const [row] = await rows<{ colleagues: boolean; actors: boolean; rounds: boolean }>(
    db,
    sql`select
          exists (select 1 from users u where u.municipality_code = ${m} and u.id <> ${userId}) as colleagues,
          (exists (select 1 from actors a where a.home_municipality_code = ${m})
            or exists (select 1 from actor_municipalities am where am.municipality_code = ${m})) as actors,
          exists (select 1 from grant_rounds r where r.municipality_code = ${m}) as rounds`,
  );
  return row ?? { colleagues: false, actors: false, rounds: false };
}
