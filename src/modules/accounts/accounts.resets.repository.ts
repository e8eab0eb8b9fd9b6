import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { passwordResets } from '../../db/schema/index.ts';

export type PasswordLinkPurpose = 'reset' | 'welcome';

/** A new link to choose a password for a user: only the token's hash is stored. */
export async function insertPasswordReset(
  db: Queryable,
  userId: number,
  link: { tokenHash: string; validMinutes: number; purpose: PasswordLinkPurpose },
): Promise<number> {
  const [row] = await db
    .insert(passwordResets)
    .values({
      userId,
      tokenHash: link.tokenHash,
      purpose: link.purpose,
      expiresAt: sql`now() + make_interval(mins => ${link.validMinutes})`,
    })
    .returning({ id: passwordResets.id });
  if (!row) throw new Error('insert returned no row');
  return row.id;
}

/** How many forgotten-password links a user was sent in the last `minutes` (the limit on asking again and again). */
export async function recentPasswordResets(db: Queryable, userId: number, minutes: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(passwordResets)
    .where(
      and(
        eq(passwordResets.userId, userId),
        eq(passwordResets.purpose, 'reset'),
        gt(passwordResets.createdAt, sql`now() - make_interval(mins => ${minutes})`),
      ),
    );
  return Number(row?.n ?? 0);
}

/** The unused, unexpired link with this token hash, if any. */
export async function findLivePasswordReset(
  db: Queryable,
  tokenHash: string,
): Promise<{ id: number; userId: number; purpose: PasswordLinkPurpose } | undefined> {
  const [row] = await db
    .select({ id: passwordResets.id, userId: passwordResets.userId, purpose: passwordResets.purpose })
    .from(passwordResets)
    .where(
      and(
        eq(passwordResets.tokenHash, tokenHash),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, sql`now()`),
      ),
    );
  return row;
}

/**
 * Uses the link, if it is still unused and unexpired: marked used under a row lock, so two
 * submissions of one link cannot both succeed. The user's other unused links die with it.
 */
export async function usePasswordReset(
  db: Queryable,
  tokenHash: string,
): Promise<{ userId: number; purpose: PasswordLinkPurpose } | undefined> {
  const [row] = await db
    .update(passwordResets)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(passwordResets.tokenHash, tokenHash),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, sql`now()`),
      ),
    )
    .returning({ id: passwordResets.id, userId: passwordResets.userId, purpose: passwordResets.purpose });
  if (!row) return undefined;
  await endUnusedPasswordLinks(db, row.userId);
  return { userId: row.userId, purpose: row.purpose };
}

/**
 * Ends the user's unused password links (reset and welcome): when one is used, and when the user's
 * e-mail address changes, so that a link mailed to the old address no longer sets the password.
 */
export async function endUnusedPasswordLinks(db: Queryable, userId: number): Promise<void> {
  await db
    .update(passwordResets)
    .set({ usedAt: sql`now()` })
    .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
}
