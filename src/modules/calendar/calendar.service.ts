import type { Database } from '../../db/client.ts';
import { addDays, danishDate } from '../../lib/dates.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret, sha256 } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { Outreach } from '../outreach/outreach.schemas.ts';
import { type OutreachService, occurrences } from '../outreach/outreach.service.ts';
import {
  actorNamesOf,
  agreementReviewsFrom,
  deleteCalendarFeed,
  findCalendarFeed,
  findUserOfCalendarFeed,
  meetingsFrom,
  replaceCalendarFeed,
  reportsDueFrom,
} from './calendar.repository.ts';
import type { IcsEvent } from './ical.ts';

/** How far back the feed reaches; everything ahead is in it. */
const PAST_DAYS = 180;

/** A catalogue look-up in the feed owner's language. */
export type FeedText = (key: string, params: Record<string, string>) => string;

/**
 * An outreach presence as events: its weekdays as one weekly event (from the first of them in the
 * period), and each single date, on or after `from`, as an event of its own, unless the weekly
 * event already holds it. One event per date, never RDATE: ical.js and node-ical read RDATE
 * differently, and each reads a plain event the same.
 */
function outreachEvents(o: Outreach, from: string, text: Pick<IcsEvent, 'summary' | 'description' | 'url'>) {
  const weeklyDays = { ...o, dates: [] };
  // The first of its weekdays in the period, if the period holds one.
  const first = occurrences(weeklyDays, o.periodStart, addDays(o.periodStart, 6))[0];
  const events: IcsEvent[] = [];
  if (first)
    events.push({
      uid: `outreach-${o.id}@samspil`,
      ...text,
      start: { date: first, time: o.startsAt },
      end: { date: first, time: o.endsAt },
      weekly: { weekdays: o.weekdays, until: o.periodEnd },
    });
  for (const date of o.dates) {
    if (date < from || occurrences(weeklyDays, date, date).length || !occurrences(o, date, date).length) continue;
    events.push({
      uid: `outreach-${o.id}-${date.replaceAll('-', '')}@samspil`,
      ...text,
      start: { date, time: o.startsAt },
      end: { date, time: o.endsAt },
    });
  }
  return events;
}

/**
 * The calendar feed: a secret URL per user (only its hash is stored; making a new one replaces the
 * old, revoking deletes it) that serves the user's municipality's meetings, report due dates,
 * agreement reviews and outreach times.
 */
export function createCalendarService(database: Database, outreach: OutreachService) {
  const db = database.db;
  return {
    async feedOf(userId: number): Promise<{ createdAt: Date } | undefined> {
      return findCalendarFeed(db, userId);
    },

    /** A new secret for the user's feed; the old URL stops working. Returns the secret once. */
    async createFeed(principal: Principal): Promise<string> {
      const userId = principal.userId ?? 0;
      const token = newSecret(24);
      await db.transaction(async (tx) => {
        await replaceCalendarFeed(tx, userId, sha256(token));
        await recordAudit(tx, principal, { entity: 'calendar_feed', entityId: userId, action: 'create' });
      });
      return token;
    },

    async revokeFeed(principal: Principal): Promise<void> {
      const userId = principal.userId ?? 0;
      await db.transaction(async (tx) => {
        await deleteCalendarFeed(tx, userId);
        await recordAudit(tx, principal, { entity: 'calendar_feed', entityId: userId, action: 'revoke' });
      });
    },

    /** The active user a secret belongs to, if any. */
    async userOfFeed(token: string): Promise<{ id: number; municipalityCode: number } | undefined> {
      if (!/^[\w-]{20,100}$/.test(token)) return undefined;
      const row = await findUserOfCalendarFeed(db, sha256(token));
      return row?.active ? { id: row.id, municipalityCode: row.municipalityCode } : undefined;
    },

    /** The municipality's events, from half a year back, in the language of `t`. */
    async events(municipalityCode: number, baseUrl: string, t: FeedText, today = danishDate()): Promise<IcsEvent[]> {
      const from = addDays(today, -PAST_DAYS);
      const [meetings, reports, reviews, presence] = await Promise.all([
        meetingsFrom(db, municipalityCode, from),
        reportsDueFrom(db, municipalityCode, from),
        agreementReviewsFrom(db, municipalityCode, from),
        outreach.list({ municipalityCode }),
      ]);
      const actorNames = await actorNamesOf(
        db,
        presence.map((o) => o.actorId),
      );
      return [
        ...meetings.map((m) => ({
          uid: `meeting-${m.id}@samspil`,
          summary: t(m.held ? 'calendar.event.meeting' : 'calendar.event.meetingPlanned', { title: m.title }),
          date: m.on,
          url: `${baseUrl}/agreements/${m.agreementId}`,
        })),
        ...reports.map((r) => ({
          uid: `report-${r.id}@samspil`,
          summary: t('calendar.event.report', { title: r.title }),
          description: r.actor,
          date: r.due,
          url: `${baseUrl}/grants/${r.id}`,
        })),
        ...reviews.map((a) => ({
          uid: `review-${a.id}@samspil`,
          summary: t('calendar.event.review', { title: a.title }),
          date: a.on,
          url: `${baseUrl}/agreements/${a.id}`,
        })),
        ...presence
          .filter((o) => !o.periodEnd || o.periodEnd >= from)
          .flatMap((o) =>
            outreachEvents(o, from, {
              summary: t('calendar.event.outreach', { unit: o.unit, actor: actorNames.get(o.actorId) ?? '' }).trim(),
              description: o.note ?? undefined,
              url: `${baseUrl}/actors/${o.actorId}`,
            }),
          ),
      ];
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
