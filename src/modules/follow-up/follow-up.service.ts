import type { Database } from '../../db/client.ts';
import { addDays, danishDate, daysBetween } from '../../lib/dates.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import {
  agreementsDueSoon,
  agreementsWithMeetingsOverdue,
  countFollowUps,
  countOpenActionItems,
  type FollowUpWindows,
  followUpOverview,
  type ListLimits,
  openActionItems,
  reportsDueSoon,
} from './follow-up.repository.ts';

/** How far ahead the follow-up page looks. */
const REPORTS_DUE_SOON_DAYS = 30;
const AGREEMENTS_AHEAD_DAYS = 60;
const RECENT_CHANGES_DAYS = 14;
/** Reminders by mail: a report a week ahead, a review 30 days ahead, an action item the day before. */
const REPORT_REMINDER_DAYS = 7;
const REVIEW_REMINDER_DAYS = 30;
/** A digest lists at most this many of each kind for a municipality. */
const REMINDER_LIMIT = 2000;
/**
 * The follow-up page lists at most this many of each kind, the most pressing first, and counts them
 * all; a user may open one list whole, up to WHOLE_LIST_LIMIT. The page is where every user lands:
 * four lists of a hundred (182 reports due in København's national data) read as a report, not as a
 * list of what to do next, and cost it two thirds of its rendering (issue 17).
 */
const PAGE_LIST_LIMIT = 25;
const WHOLE_LIST_LIMIT = 500;

/** The follow-up page's lists that are cut short, by the names its `show` query gives them. */
export const followUpLists = ['reports', 'agreementsDue', 'meetingsOverdue', 'actionItems'] as const;
export type FollowUpList = (typeof followUpLists)[number];

/**
 * The days a report is reminded of: 7 calendar days before it is due, on the day it is due, and
 * every 7th day after while it has not been received.
 */
function reportReminderOn(dueOn: string, day: string): boolean {
  const late = daysBetween(dueOn, day);
  return late === -REPORT_REMINDER_DAYS || (late >= 0 && late % 7 === 0);
}

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
  /** At most this many of each list (PAGE_LIST_LIMIT). */
  limit?: number;
  /** The list shown whole (up to WHOLE_LIST_LIMIT), the others cut at `limit`. */
  whole?: FollowUpList;
}

/** A new municipality's first steps, each done once the municipality has what it leads to. */
const FIRST_STEPS = [
  { key: 'invite', done: 'colleagues' },
  { key: 'actors', done: 'actors' },
  { key: 'round', done: 'rounds' },
] as const;
export type FirstStep = (typeof FIRST_STEPS)[number]['key'];

/**
 * The follow-up page: what in the user's own municipality needs doing soon. Its lists are two
 * statements (the reports due, and the rest together), the counts for the navigation one; a reminder
 * mail reads each list on its own.
 */
export function createFollowUpService(database: Database) {
  const db = database.db;
  const windows = (today: string): FollowUpWindows => ({
    today,
    reportsSoon: addDays(today, REPORTS_DUE_SOON_DAYS),
    agreementsAhead: addDays(today, AGREEMENTS_AHEAD_DAYS),
  });

  async function countNow(municipalityCode: number, userId: number, today: string): Promise<FollowUpCounts> {
    const w = windows(today);
    const row = await countFollowUps(db, municipalityCode, userId, w);
    const c = {
      reports: row?.reports ?? 0,
      agreements: row?.agreements ?? 0,
      meetings: row?.meetings ?? 0,
      actionItems: row?.items ?? 0,
    };
    return { ...c, total: c.reports + c.agreements + c.meetings + c.actionItems };
  }
  const countsCache = createReadCache<FollowUpCounts>(database.writes, { max: 1000, ttlMs: 10_000 });
  /** The navigation's count, on every page: reused until something is written in the municipality (or for 10 s). */
  function counts(municipalityCode: number, userId: number, today = danishDate()): Promise<FollowUpCounts> {
    return countsCache.get(`${municipalityCode}:${userId}:${today}`, [writeTag.municipality(municipalityCode)], () =>
      countNow(municipalityCode, userId, today),
    );
  }

  return {
    /**
     * What a municipality's reminder mails list, from the lists of the follow-up page: reports with a
     * reminder on one of the `days` days from `today` (1: a daily digest, 7: a weekly one), agreements
     * ending within 60 days or up for review within 30, meetings overdue for the pace, and open action
     * items with an owner that are due tomorrow or overdue.
     */
    async reminders(municipalityCode: number, today: string, days: 1 | 7) {
      const w = { ...windows(today), reportsSoon: addDays(today, REPORT_REMINDER_DAYS + days - 1) };
      const m = municipalityCode;
      const [reports, agreementsDue, meetingsOverdue, actionItems] = await Promise.all([
        reportsDueSoon(db, m, w, REMINDER_LIMIT),
        agreementsDueSoon(db, m, w, REMINDER_LIMIT),
        agreementsWithMeetingsOverdue(db, m, w, REMINDER_LIMIT),
        openActionItems(db, { mine: false, userId: 0, municipalityCode: m }, REMINDER_LIMIT),
      ]);
      const span = Array.from({ length: days }, (_, i) => addDays(today, i));
      const reviewBy = addDays(today, REVIEW_REMINDER_DAYS);
      const tomorrow = addDays(today, 1);
      return {
        reports: reports
          .filter((r) => span.some((day) => reportReminderOn(r.dueOn, day)))
          .map((r) => ({ ...r, overdue: r.dueOn < today })),
        agreementsDue: agreementsDue
          .map((a) => ({
            ...a,
            ending: a.endsOn !== null && a.endsOn >= today && a.endsOn <= w.agreementsAhead,
            review: a.reviewOn !== null && a.reviewOn <= reviewBy,
          }))
          .filter((a) => a.ending || a.review),
        meetingsOverdue,
        actionItems: actionItems
          .filter((i) => i.ownerUserId !== null && i.dueOn !== null && i.dueOn <= tomorrow)
          .map((i) => ({ ...i, overdue: i.dueOn !== null && i.dueOn < today })),
      };
    },

    counts,

    async overview(options: FollowUpOptions) {
      const w = windows(options.today ?? danishDate());
      const m = options.municipalityCode;
      const each = options.limit ?? PAGE_LIST_LIMIT;
      const wholeLimit = Math.max(each, WHOLE_LIST_LIMIT);
      const limitOf = (list: FollowUpList) => (list === options.whole ? wholeLimit : each);
      const limits: ListLimits = {
        reports: limitOf('reports'),
        agreementsDue: limitOf('agreementsDue'),
        meetingsOverdue: limitOf('meetingsOverdue'),
        actionItems: limitOf('actionItems'),
      };
      const { reports, agreementsDue, meetingsOverdue, actionItems, changes, ...begun } = await followUpOverview(
        db,
        { mine: options.mine, userId: options.userId, municipalityCode: m },
        w,
        RECENT_CHANGES_DAYS,
        limits,
      );
      // A list shorter than its limit is whole. A full one is counted: by the navigation's counts (the
      // same windows, most often kept), the municipality's action items by a count of their own.
      const full = (list: unknown[], name: FollowUpList) => list.length >= limits[name];
      const counted =
        full(reports, 'reports') ||
        full(agreementsDue, 'agreementsDue') ||
        full(meetingsOverdue, 'meetingsOverdue') ||
        (options.mine && full(actionItems, 'actionItems'))
          ? await counts(m, options.userId, w.today)
          : undefined;
      const total = async (list: unknown[], name: FollowUpList, count: () => number | Promise<number>) =>
        full(list, name) ? Math.max(await count(), list.length) : list.length;
      const totals: Record<FollowUpList, number> = {
        reports: await total(reports, 'reports', () => counted?.reports ?? 0),
        agreementsDue: await total(agreementsDue, 'agreementsDue', () => counted?.agreements ?? 0),
        meetingsOverdue: await total(meetingsOverdue, 'meetingsOverdue', () => counted?.meetings ?? 0),
        actionItems: await total(actionItems, 'actionItems', () =>
          options.mine ? (counted?.actionItems ?? 0) : countOpenActionItems(db, m),
        ),
      };
      return {
        today: w.today,
        /** How many of each list there are in all; a list shows PAGE_LIST_LIMIT at most, or the list shown whole more. */
        totals,
        /** How many a list cut short shows, and a list shown whole at most. */
        listLimit: each,
        wholeLimit,
        reports: reports.map((r) => ({ ...r, overdue: r.dueOn < w.today })),
        agreementsDue,
        meetingsOverdue,
        actionItems: actionItems.map((i) => ({ ...i, overdue: i.dueOn !== null && i.dueOn < w.today })),
        changes,
        /** The first steps not yet taken in the municipality, for a new start: guidance, not a list of work. */
        firstSteps: FIRST_STEPS.filter((step) => !begun[step.done]).map((step) => step.key),
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
