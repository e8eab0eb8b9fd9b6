import { and, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Queryable, Tx } from '../../db/client.ts';
import { builtOnce } from '../../db/prepared.ts';
import { apiTokens, loginFailures, sessions, users } from '../../db/schema/index.ts';
import { atVersion, nextVersionNow } from '../../db/versions.ts';

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

/** An arbitrary constant: the advisory lock that serialises first-run set-up. */
const SETUP_LOCK = 7_318_246;

/** Waits for any other first-run set-up to end; held until the transaction ends. */
export async function lockFirstRunSetup(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SETUP_LOCK})`);
}

export async function anyUserExists(db: Queryable): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return row !== undefined;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
  return row;
}

export async function findUser(db: Queryable, id: number): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function listUsers(db: Queryable, municipalityCode: number): Promise<UserRow[]> {
  return db.select().from(users).where(eq(users.municipalityCode, municipalityCode)).orderBy(users.name);
}

export async function insertUser(db: Queryable, values: typeof users.$inferInsert): Promise<UserRow> {
  const [row] = await db.insert(users).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function setUserActive(db: Queryable, id: number, active: boolean): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ active, ...nextVersionNow(users) })
    .where(eq(users.id, id))
    .returning();
  return row;
}

/** A new password hash; `mustChange` says whether the user must choose another at next sign-in. */
export async function setUserPassword(
  db: Queryable,
  id: number,
  passwordHash: string,
  mustChange: boolean,
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ passwordHash, mustChangePassword: mustChange, ...nextVersionNow(users) })
    .where(eq(users.id, id))
    .returning();
  return row;
}

/** A user's e-mail, name, role and municipality, if the row is still at the version the editor read. */
export async function updateUserIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Pick<UserRow, 'email' | 'name' | 'role' | 'municipalityCode'>,
): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ ...values, ...nextVersionNow(users) })
    .where(atVersion(users, id, version))
    .returning();
  return row;
}

/** A user's own new e-mail address. */
export async function setUserEmail(db: Queryable, id: number, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ email, ...nextVersionNow(users) })
    .where(eq(users.id, id))
    .returning();
  return row;
}

/** The language of a user's mails: a preference, so the row's version (an admin's edit form) stays. */
export async function setUserLocale(db: Queryable, id: number, locale: UserRow['locale']) {
  const [row] = await db
    .update(users)
    .set({ locale })
    .where(and(eq(users.id, id), ne(users.locale, locale)))
    .returning({ id: users.id });
  return row !== undefined;
}

/**
 * The active admins of a municipality, locked until the transaction ends: two admins demoting
 * themselves at once are served one after the other, and the second sees the first's change.
 */
export async function lockActiveAdmins(tx: Tx, municipalityCode: number): Promise<number[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.municipalityCode, municipalityCode), eq(users.role, 'admin'), eq(users.active, true)))
    .for('update');
  return rows.map((r) => r.id);
}

export async function insertSession(db: Queryable, values: typeof sessions.$inferInsert): Promise<SessionRow> {
  const [row] = await db.insert(sessions).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** The user's fields a session or key acts as. */
const principalColumns = {
  userId: users.id,
  municipalityCode: users.municipalityCode,
  role: users.role,
  name: users.name,
};

/**
 * A live session and its user, in one statement: not ended, not past its absolute limit, and the
 * user active. `idle` says it has not been used for idleMinutes (the caller ends it), `stale` that
 * its last use is older than touchSeconds (the caller records this one). Every request makes it, so
 * it is built once (db/prepared.ts).
 */
const liveSession = builtOnce<{ tokenHash: string; idleMinutes: number; touchSeconds: number }, LiveSessionRow[]>(
  'live_session',
  (db) =>
    db
      .select({
        id: sessions.id,
        csrfToken: sessions.csrfToken,
        mustChangePassword: users.mustChangePassword,
        idle: sql<boolean>`${sessions.lastSeenAt} < now() - make_interval(mins => ${sql.placeholder('idleMinutes')})`,
        stale: sql<boolean>`${sessions.lastSeenAt} < now() - make_interval(secs => ${sql.placeholder('touchSeconds')})`,
        ...principalColumns,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.tokenHash, sql.placeholder('tokenHash')),
          isNull(sessions.endedAt),
          gt(sessions.expiresAt, sql`now()`),
          eq(users.active, true),
        ),
      ),
);

interface LiveSessionRow {
  id: number;
  csrfToken: string;
  mustChangePassword: boolean;
  idle: boolean;
  stale: boolean;
  userId: number;
  municipalityCode: number | null;
  role: UserRow['role'];
  name: string;
}

export async function findLiveSession(
  db: Queryable,
  tokenHash: string,
  idleMinutes: number,
  touchSeconds: number,
): Promise<LiveSessionRow | undefined> {
  const [row] = await liveSession(db, { tokenHash, idleMinutes, touchSeconds });
  return row;
}

export async function touchSession(db: Queryable, id: number): Promise<void> {
  await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.id, id));
}

export async function endSession(db: Queryable, id: number): Promise<void> {
  await db
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.id, id), isNull(sessions.endedAt)));
}

export async function endUserSessions(db: Queryable, userId: number): Promise<number> {
  const ended = await db
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt)))
    .returning({ id: sessions.id });
  return ended.length;
}

/** Ends every session of a user but one (the one the user is acting in). */
export async function endOtherSessions(db: Queryable, userId: number, keepSessionId: number): Promise<number> {
  const ended = await db
    .update(sessions)
    .set({ endedAt: sql`now()` })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), ne(sessions.id, keepSessionId)))
    .returning({ id: sessions.id });
  return ended.length;
}

export async function countLiveSessions(db: Queryable, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), gt(sessions.expiresAt, sql`now()`)));
  return row?.n ?? 0;
}

export async function insertApiToken(db: Queryable, values: typeof apiTokens.$inferInsert) {
  const [row] = await db.insert(apiTokens).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** A key that is not revoked, of an active user, in one statement; `stale` as for sessions. */
export async function findLiveApiToken(db: Queryable, tokenHash: string, touchSeconds: number) {
  const [row] = await db
    .select({
      id: apiTokens.id,
      stale: sql<boolean>`coalesce(${apiTokens.lastUsedAt} < now() - make_interval(secs => ${touchSeconds}), true)`,
      ...principalColumns,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt), eq(users.active, true)));
  return row;
}

export async function touchApiToken(db: Queryable, id: number): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, id));
}

export async function listApiTokens(db: Queryable, userId: number) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt));
}

export async function revokeApiToken(db: Queryable, userId: number, id: number): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Revokes every live key of a user; returns the ids revoked. */
export async function revokeUserApiTokens(db: Queryable, userId: number): Promise<number[]> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** Two arbitrary constants: the classes of the advisory locks on an account's and an address's count. */
const ACCOUNT_COUNT_LOCK = 7_318_247;
const IP_COUNT_LOCK = 7_318_248;

/**
 * Holds, until the transaction ends, the counts of one account and one address: attempts on either
 * wait for each other here. Always the account first, then the address, so two attempts never wait
 * for each other the other way round.
 */
export async function lockLoginCounts(tx: Tx, accountKey: string, ip: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ACCOUNT_COUNT_LOCK}, hashtext(${accountKey}))`);
  await tx.execute(sql`select pg_advisory_xact_lock(${IP_COUNT_LOCK}, hashtext(${ip}))`);
}

/** Counts an attempt against the account and the address; returns its row, to take back on success. */
export async function countLoginAttempt(db: Queryable, accountKey: string, ip: string): Promise<number> {
  const [row] = await db.insert(loginFailures).values({ accountKey, ip }).returning({ id: loginFailures.id });
  if (!row) throw new Error('insert returned no row');
  return row.id;
}

/** Takes back an attempt that turned out to be a success. */
export async function uncountLoginAttempt(db: Queryable, id: number): Promise<void> {
  await db.delete(loginFailures).where(eq(loginFailures.id, id));
}

/**
 * Deletes up to `max` counted attempts older than `minutes`, whoever made them: they no longer
 * count, and an attempt on an account nobody has (an e-mail typed at random) is never retried.
 */
export async function forgetOldLoginFailures(db: Queryable, minutes: number, max: number): Promise<number> {
  const old = db
    .select({ id: loginFailures.id })
    .from(loginFailures)
    .where(sql`${loginFailures.at} <= now() - make_interval(mins => ${minutes})`)
    .orderBy(loginFailures.at)
    .limit(max)
    // Two attempts sweeping at once take different rows instead of waiting on (or deadlocking over) each other.
    .for('update', { skipLocked: true });
  const gone = await db.delete(loginFailures).where(inArray(loginFailures.id, old)).returning({ id: loginFailures.id });
  return gone.length;
}

export async function recentLoginFailures(db: Queryable, accountKey: string, ip: string, minutes: number) {
  const since = sql`now() - make_interval(mins => ${minutes})`;
  const [row] = await db
    .select({
      byAccount: sql<number>`count(*) filter (where ${loginFailures.accountKey} = ${accountKey})::int`,
      byIp: sql<number>`count(*) filter (where ${loginFailures.ip} = ${ip})::int`,
    })
    .from(loginFailures)
    .where(
      and(
        gt(loginFailures.at, since),
        sql`(${loginFailures.accountKey} = ${accountKey} or ${loginFailures.ip} = ${ip})`,
      ),
    );
  return { byAccount: row?.byAccount ?? 0, byIp: row?.byIp ?? 0 };
}
