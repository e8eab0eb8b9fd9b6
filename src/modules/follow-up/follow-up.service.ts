import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { addDays, danishDate } from '../../lib/dates.ts';
import { createReadCache } from '../../lib/read-cache.ts';

/** How far ahead the follow-up page looks. */
const REPORTS_DUE_SOON_DAYS = 30;
const AGREEMENTS_AHEAD_DAYS = 60;
const RECENT_CHANGES_DAYS = 14;

export interface FollowUpCounts {
  reports: number;
  agreements: number;
  meetings: number;
  actionItems: number;
  total: number;
}

export interface FollowUpOptions {
  municipalityCode: number;
  userId: number;
  /** Only the user's own open action items. */
  mine: boolean;
  today?: string;
}

/** Entities whose changes the follow-up page lists, and nothing about sign-ins or tokens. */
const RECORD_ENTITIES = ['actor', 'grant', 'grant_round', 'agreement', 'meeting', 'action_item', 'outreach'];

/**
 * The follow-up page: what in the user's own municipality needs doing soon. Each list is one
 * query; the counts for the navigation are one query together.
 */
export function createFollowUpService(database: Database) {
  const windows = (today: string) => ({
    today,
    reportsSoon: addDays(today, REPORTS_DUE_SOON_DAYS),
    agreementsAhead: addDays(today, AGREEMENTS_AHEAD_DAYS),
  });

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

  async function countNow(municipalityCode: number, userId: number, today: string): Promise<FollowUpCounts> {
    const w = windows(today);
    const [row] = await database.rows<{ reports: number; agreements: number; meetings: number; items: number }>(sql`
      select
        (select count(*)::int from grants g join grant_rounds r on r.id = g.round_id
          where ${reportsWhere(municipalityCode, w.reportsSoon)}) as reports,
        (select count(*)::int from agreements a where ${agreementsWhere(municipalityCode, w.today, w.agreementsAhead)}) as agreements,
        (select count(*)::int from agreements a where ${meetingsWhere(municipalityCode, w.today)}) as meetings,
        (select count(*)::int from action_items i where i.done_at is null and i.owner_user_id = ${userId}) as items`);
    const c = {
      reports: Number(row?.reports ?? 0),
      agreements: Number(row?.agreements ?? 0),
      meetings: Number(row?.meetings ?? 0),
      actionItems: Number(row?.items ?? 0),
    };
    return { ...c, total: c.reports + c.agreements + c.meetings + c.actionItems };
  }
  const countsCache = createReadCache<FollowUpCounts>(database.generation, { max: 1000, ttlMs: 10_000 });

  return {
    /** The navigation's count, on every page: reused until something is written (or for 10 s). */
    async counts(municipalityCode: number, userId: number, today = danishDate()): Promise<FollowUpCounts> {
      return countsCache.get(`${municipalityCode}:${userId}:${today}`, () => countNow(municipalityCode, userId, today));
    },

    async overview(options: FollowUpOptions) {
      const w = windows(options.today ?? danishDate());
      const m = options.municipalityCode;
      const [reports, agreementsDue, meetingsOverdue, actionItems, changes] = await Promise.all([
        database.rows<{ id: number; title: string; actorId: number; actorName: string; dueOn: string }>(sql`
          select g.id, g.title, g.actor_id as "actorId", ac.name as "actorName", g.report_due_on::text as "dueOn"
          from grants g join grant_rounds r on r.id = g.round_id join actors ac on ac.id = g.actor_id
          where ${reportsWhere(m, w.reportsSoon)}
          order by g.report_due_on, g.id limit 100`),
        database.rows<{ id: number; title: string; endsOn: string | null; reviewOn: string | null }>(sql`
          select a.id, a.title, a.ends_on::text as "endsOn", a.review_on::text as "reviewOn"
          from agreements a where ${agreementsWhere(m, w.today, w.agreementsAhead)}
          order by least(coalesce(a.ends_on, 'infinity'::date), coalesce(a.review_on, 'infinity'::date)), a.id
          limit 100`),
        database.rows<{ id: number; title: string; dueOn: string; intervalMonths: number }>(sql`
          select a.id, a.title, ${nextDue}::text as "dueOn", a.meeting_interval_months as "intervalMonths"
          from agreements a where ${meetingsWhere(m, w.today)}
          order by ${nextDue}, a.id limit 100`),
        database.rows<{
          id: number;
          text: string;
          dueOn: string | null;
          agreementId: number;
          agreementTitle: string;
          ownerUserId: number | null;
          ownerName: string | null;
          ownerUserName: string | null;
          version: number;
        }>(sql`
          select i.id, i.text, i.due_on::text as "dueOn", i.agreement_id as "agreementId", a.title as "agreementTitle",
            i.owner_user_id as "ownerUserId", i.owner_name as "ownerName", u.name as "ownerUserName", i.version
          from action_items i join agreements a on a.id = i.agreement_id left join users u on u.id = i.owner_user_id
          where i.done_at is null and ${options.mine ? sql`i.owner_user_id = ${options.userId}` : sql`a.municipality_code = ${m}`}
          order by i.due_on asc nulls last, i.id limit 100`),
        database.rows<{
          at: string;
          entity: string;
          entityId: string;
          action: string;
          label: string | null;
          agreementId: number | null;
          userName: string | null;
        }>(sql`
          select l.at::text as at, l.entity, l.entity_id as "entityId", l.action,
            coalesce(l.after->>'name', l.after->>'title', l.before->>'name', l.before->>'title', ag.title,
              l.after->>'unit') as label,
            ag.id as "agreementId", u.name as "userName"
          from (
            -- The latest fifteen first (from the index), then their names.
            select * from audit_log
            where municipality_code = ${m} and at > now() - make_interval(days => ${RECENT_CHANGES_DAYS})
              and entity in ${RECORD_ENTITIES}
            order by at desc, id desc limit 15
          ) l
          left join users u on u.id = l.user_id
          left join agreements ag on l.entity in ('meeting', 'action_item')
            and ag.id = (coalesce(l.after, l.before)->>'agreementId')::int
          order by l.at desc, l.id desc`),
      ]);
      return {
        today: w.today,
        reports: reports.map((r) => ({ ...r, overdue: r.dueOn < w.today })),
        agreementsDue,
        meetingsOverdue,
        actionItems: actionItems.map((i) => ({ ...i, overdue: i.dueOn !== null && i.dueOn < w.today })),
        changes,
      };
    },
  };
}

export type FollowUpService = ReturnType<typeof createFollowUpService>;

/** Where a changed record is dealt with. */
export function recordPath(entity: string, entityId: string, agreementId: number | null): string | null {
  switch (entity) {
    case 'actor':
      return `/actors/${entityId}`;
    case 'grant':
      return `/grants/${entityId}`;
    case 'grant_round':
      return `/grant-rounds/${entityId}`;
    case 'agreement':
      return `/agreements/${entityId}`;
    case 'meeting':
    case 'action_item':
      return agreementId ? `/agreements/${agreementId}#meetings` : null;
    case 'outreach':
      return `/outreach/${entityId}/edit`;
    default:
      return null;
  }
}
