import { eq, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { calendarFeeds, users } from '../../db/schema/index.ts';

export async function findCalendarFeed(db: Queryable, userId: number): Promise<{ createdAt: Date } | undefined> {
  const [row] = await db
    .select({ createdAt: calendarFeeds.createdAt })
    .from(calendarFeeds)
    .where(eq(calendarFeeds.userId, userId));
  return row;
}

/** Stores the hash of the user's feed secret, replacing the one before. */
export async function replaceCalendarFeed(tx: Queryable, userId: number, tokenHash: string): Promise<void> {
  await tx
    .insert(calendarFeeds)
    .values({ userId, tokenHash })
    .onConflictDoUpdate({
      target: calendarFeeds.userId,
      set: { tokenHash, createdAt: sql`now()` },
    });
}

export async function deleteCalendarFeed(tx: Queryable, userId: number): Promise<void> {
  await tx.delete(calendarFeeds).where(eq(calendarFeeds.userId, userId));
}

/** The user a feed secret's hash belongs to, active or not. */
export async function findUserOfCalendarFeed(db: Queryable, tokenHash: string) {
  const [row] = await db
    .select({ id: users.id, municipalityCode: users.municipalityCode, active: users.active })
    .from(calendarFeeds)
    .innerJoin(users, eq(users.id, calendarFeeds.userId))
    .where(eq(calendarFeeds.tokenHash, tokenHash));
  return row;
}

/** The municipality's status meetings, held or planned, on or after `from`. */
export async function meetingsFrom(db: Queryable, municipalityCode: number, from: string) {
  return rows<{ id: number; agreementId: number; title: string; on: string; held: boolean }>(
    db,
    sql`
          select m.id, a.id as "agreementId", a.title, coalesce(m.held_on, m.planned_on)::text as on,
            m.held_on is not null as held
          from meetings m join agreements a on a.id = m.agreement_id
          where a.municipality_code = ${municipalityCode} and coalesce(m.held_on, m.planned_on) >= ${from}::date
          order by 4, m.id`,
  );
}

/** The municipality's grants with a report outstanding, due on or after `from`. */
export async function reportsDueFrom(db: Queryable, municipalityCode: number, from: string) {
  return rows<{ id: number; title: string; actor: string; due: string }>(
    db,
    sql`
          select g.id, g.title, ac.name as actor, g.report_due_on::text as due
          from grants g join grant_rounds r on r.id = g.round_id join actors ac on ac.id = g.actor_id
          where r.municipality_code = ${municipalityCode} and g.status in ('approved', 'paid')
            and g.report_received_on is null and g.report_due_on >= ${from}::date
          order by g.report_due_on, g.id`,
  );
}

/** The municipality's agreements not ended, with a review on or after `from`. */
export async function agreementReviewsFrom(db: Queryable, municipalityCode: number, from: string) {
  return rows<{ id: number; title: string; on: string }>(
    db,
    sql`
          select a.id, a.title, a.review_on::text as on from agreements a
          where a.municipality_code = ${municipalityCode} and a.status <> 'ended'
            and a.review_on is not null and a.review_on >= ${from}::date
          order by a.review_on, a.id`,
  );
}

/** The names of the actors, by id (the ids as one array parameter, however many). */
export async function actorNamesOf(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  const names = await rows<{ id: number; name: string }>(
    db,
    sql`select id, name from actors where id in (select unnest(${`{${ids.join(',')}}`}::int[]))`,
  );
  return new Map(names.map((a) => [a.id, a.name]));
}
