import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { calendarFeeds, users } from '../../db/schema/index.ts';
import { addDays, danishDate, isoWeekday } from '../../lib/dates.ts';
import type { Principal } from '../../lib/principal.ts';
import { newSecret, sha256 } from '../../lib/secrets.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { OutreachService } from '../outreach/outreach.service.ts';
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
      const [row] = await db
        .select({ createdAt: calendarFeeds.createdAt })
        .from(calendarFeeds)
        .where(eq(calendarFeeds.userId, userId));
      return row;
    },

    /** A new secret for the user's feed; the old URL stops working. Returns the secret once. */
    async createFeed(principal: Principal): Promise<string> {
      const userId = principal.userId ?? 0;
      const token = newSecret(24);
      await db.transaction(async (tx) => {
        await tx
          .insert(calendarFeeds)
          .values({ userId, tokenHash: sha256(token) })
          .onConflictDoUpdate({
            target: calendarFeeds.userId,
            set: { tokenHash: sha256(token), createdAt: sql`now()` },
          });
        await recordAudit(tx, principal, { entity: 'calendar_feed', entityId: userId, action: 'create' });
      });
      return token;
    },

    async revokeFeed(principal: Principal): Promise<void> {
      const userId = principal.userId ?? 0;
      await db.transaction(async (tx) => {
        await tx.delete(calendarFeeds).where(eq(calendarFeeds.userId, userId));
        await recordAudit(tx, principal, { entity: 'calendar_feed', entityId: userId, action: 'revoke' });
      });
    },

    /** The active user a secret belongs to, if any. */
    async userOfFeed(token: string): Promise<{ id: number; municipalityCode: number } | undefined> {
      if (!/^[\w-]{20,100}$/.test(token)) return undefined;
      const [row] = await db
        .select({ id: users.id, municipalityCode: users.municipalityCode, active: users.active })
        .from(calendarFeeds)
        .innerJoin(users, eq(users.id, calendarFeeds.userId))
        .where(eq(calendarFeeds.tokenHash, sha256(token)));
      return row?.active ? { id: row.id, municipalityCode: row.municipalityCode } : undefined;
    },

    /** The municipality's events, from half a year back. */
    async events(municipalityCode: number, baseUrl: string, today = danishDate()): Promise<IcsEvent[]> {
      const from = addDays(today, -PAST_DAYS);
      const [meetings, reports, reviews, presence] = await Promise.all([
        database.rows<{ id: number; agreementId: number; title: string; on: string; held: boolean }>(sql`
          select m.id, a.id as "agreementId", a.title, coalesce(m.held_on, m.planned_on)::text as on,
            m.held_on is not null as held
          from meetings m join agreements a on a.id = m.agreement_id
          where a.municipality_code = ${municipalityCode} and coalesce(m.held_on, m.planned_on) >= ${from}::date
          order by 4, m.id`),
        database.rows<{ id: number; title: string; actor: string; due: string }>(sql`
          select g.id, g.title, ac.name as actor, g.report_due_on::text as due
          from grants g join grant_rounds r on r.id = g.round_id join actors ac on ac.id = g.actor_id
          where r.municipality_code = ${municipalityCode} and g.status in ('approved', 'paid')
            and g.report_received_on is null and g.report_due_on >= ${from}::date
          order by g.report_due_on, g.id`),
        database.rows<{ id: number; title: string; on: string }>(sql`
          select a.id, a.title, a.review_on::text as on from agreements a
          where a.municipality_code = ${municipalityCode} and a.status <> 'ended'
            and a.review_on is not null and a.review_on >= ${from}::date
          order by a.review_on, a.id`),
        outreach.list({ municipalityCode }),
      ]);
      const actorNames = new Map(
        (
          await database.rows<{ id: number; name: string }>(
            sql`select id, name from actors where id in (select unnest(${`{${presence.map((o) => o.actorId).join(',')}}`}::int[]))`,
          )
        ).map((a) => [Number(a.id), a.name]),
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
