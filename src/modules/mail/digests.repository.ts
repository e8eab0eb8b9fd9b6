import { and, eq, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { digestPreferences, digestRuns, digestSettings, mailKeys } from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';
import type { Locale } from '../../lib/format.ts';

export type DigestFrequency = 'daily' | 'weekly' | 'off';
export const DEFAULT_DIGEST_TIME = '07:00';

/**
 * Municipalities with active users that have had no digest run on this Danish date, with their
 * name and digest time (07:00 unless an admin set another).
 */
export async function municipalitiesAwaitingDigest(db: Queryable, today: string) {
  return rows<{ code: number; name: string; digestTime: string }>(
    db,
    sql`select m.code, m.name, coalesce(s.digest_time, ${DEFAULT_DIGEST_TIME}) as "digestTime"
        from municipalities m left join digest_settings s on s.municipality_code = m.code
        where exists (select 1 from users u where u.municipality_code = m.code and u.active)
          and not exists (select 1 from digest_runs r where r.municipality_code = m.code and r.run_on = ${today}::date)
        order by m.code`,
  );
}

/** The active users of a municipality and how often they want each kind of digest. */
export async function digestRecipients(db: Queryable, municipalityCode: number) {
  return rows<{
    id: number;
    email: string;
    name: string;
    role: string;
    locale: Locale;
    grants: DigestFrequency;
    agreements: DigestFrequency;
  }>(
    db,
    sql`select u.id, u.email, u.name, u.role::text as role, u.locale,
          coalesce(p.grants, 'daily') as grants, coalesce(p.agreements, 'daily') as agreements
        from users u left join digest_preferences p on p.user_id = u.id
        where u.municipality_code = ${municipalityCode} and u.active
        order by u.id`,
  );
}

/**
 * Takes the day's run of a municipality: false when it is already taken. On PostgreSQL a second
 * transaction waits here for the first and then finds the row.
 */
export async function claimDigestRun(tx: Queryable, municipalityCode: number, runOn: string): Promise<boolean> {
  const claimed = await tx
    .insert(digestRuns)
    .values({ municipalityCode, runOn })
    .onConflictDoNothing()
    .returning({ code: digestRuns.municipalityCode });
  return claimed.length > 0;
}

export async function countDigestRun(tx: Queryable, municipalityCode: number, runOn: string, mails: number) {
  await tx
    .update(digestRuns)
    .set({ mails })
    .where(and(eq(digestRuns.municipalityCode, municipalityCode), eq(digestRuns.runOn, runOn)));
}

export async function findDigestPreferences(db: Queryable, userId: number) {
  const [row] = await db.select().from(digestPreferences).where(eq(digestPreferences.userId, userId));
  return row;
}

/**
 * Saves a user's choice if the version read is still current (0: there was no row yet). Undefined
 * when another change came first.
 */
export async function saveDigestPreferences(
  tx: Queryable,
  userId: number,
  choice: { grants: DigestFrequency; agreements: DigestFrequency },
  version: number | 'any',
) {
  if (version === 0) {
    const [row] = await tx
      .insert(digestPreferences)
      .values({ userId, ...choice })
      .onConflictDoNothing()
      .returning();
    return row;
  }
  if (version === 'any') {
    const [row] = await tx
      .insert(digestPreferences)
      .values({ userId, ...choice })
      .onConflictDoUpdate({
        target: digestPreferences.userId,
        set: { ...choice, ...nextVersionNow(digestPreferences) },
      })
      .returning();
    return row;
  }
  const [row] = await tx
    .update(digestPreferences)
    .set({ ...choice, ...nextVersionNow(digestPreferences) })
    .where(and(eq(digestPreferences.userId, userId), eq(digestPreferences.version, version)))
    .returning();
  return row;
}

export async function findDigestSetting(db: Queryable, municipalityCode: number) {
  const [row] = await db.select().from(digestSettings).where(eq(digestSettings.municipalityCode, municipalityCode));
  return row;
}

/** Saves a municipality's digest time if the version read is still current (0: no row yet). */
export async function saveDigestTime(tx: Queryable, municipalityCode: number, digestTime: string, version: number) {
  if (version === 0) {
    const [row] = await tx
      .insert(digestSettings)
      .values({ municipalityCode, digestTime })
      .onConflictDoNothing()
      .returning();
    return row;
  }
  const [row] = await tx
    .update(digestSettings)
    .set({ digestTime, ...nextVersionNow(digestSettings) })
    .where(and(eq(digestSettings.municipalityCode, municipalityCode), eq(digestSettings.version, version)))
    .returning();
  return row;
}

/** The key unsubscribe links are derived from: made once (the first caller's wins), then read. */
export async function unsubscribeKey(db: Queryable, candidate: string): Promise<string> {
  await db.insert(mailKeys).values({ id: 1, unsubscribeKey: candidate }).onConflictDoNothing();
  const [row] = await db.select().from(mailKeys).where(eq(mailKeys.id, 1));
  if (!row) throw new Error('no mail key');
  return row.unsubscribeKey;
}

/** Whose municipality an unsubscribe is recorded under. */
export async function digestUser(db: Queryable, userId: number) {
  const [row] = await rows<{ municipalityCode: number }>(
    db,
    sql`select municipality_code as "municipalityCode" from users where id = ${userId}`,
  );
  return row;
}
