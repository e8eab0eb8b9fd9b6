import type { Database } from '../../db/client.ts';
import { addDays, danishDate, isoWeekday } from '../../lib/dates.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret, sha256 } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { OutreachService } from '../outreach/outreach.service.ts';
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

    /** The municipality's events, from half a year back. */
    async events(municipalityCode: number, baseUrl: string, today = danishDate()): Promise<IcsEvent[]> {
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
          summary: `Statusmøde: ${m.title}${m.held ? '' : ' (planlagt)'}`,
          date: m.on,
          url: `${baseUrl}/agreements/${m.agreementId}`,
        })),
        ...reports.map((r) => ({
          uid: `report-${r.id}@samspil`,
          summary: `Afrapportering: ${r.title}`,
          description: r.actor,
          date: r.due,
          url: `${baseUrl}/grants/${r.id}`,
        })),
        ...reviews.map((a) => ({
          uid: `review-${a.id}@samspil`,
          summary: `Revurdering af aftale: ${a.title}`,
          date: a.on,
          url: `${baseUrl}/agreements/${a.id}`,
        })),
        ...presence
          .filter((o) => !o.periodEnd || o.periodEnd >= from)
          .map((o) => {
            // The first occurrence: a recurrence starts on one of its own weekdays.
            let first = o.dates[0] ?? o.periodStart;
            if (o.weekdays.length) {
              first = o.periodStart;
              while (!o.weekdays.includes(isoWeekday(first))) first = addDays(first, 1);
            }
            return {
              uid: `outreach-${o.id}@samspil`,
              summary: `Fremskudt indsats: ${o.unit} hos ${actorNames.get(o.actorId) ?? ''}`.trim(),
              description: o.note ?? undefined,
              start: { date: first, time: o.startsAt },
              end: { date: first, time: o.endsAt },
              weekly: o.weekdays.length ? { weekdays: o.weekdays, until: o.periodEnd } : undefined,
              extraDates: o.weekdays.length ? o.dates : o.dates.slice(1),
              url: `${baseUrl}/actors/${o.actorId}`,
            };
          }),
      ];
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
