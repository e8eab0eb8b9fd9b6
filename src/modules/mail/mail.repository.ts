import { and, desc, eq, inArray, isNull, like, lte, ne, or, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { mailOutbox } from '../../db/schema/index.ts';

export type MailRow = typeof mailOutbox.$inferSelect;
export type NewMail = Pick<
  typeof mailOutbox.$inferInsert,
  'messageId' | 'kind' | 'recipient' | 'userId' | 'municipalityCode' | 'subject' | 'textBody' | 'htmlBody' | 'headers'
>;

/** Queues a mail in the caller's transaction: it is sent only if that transaction commits. */
export async function insertMail(db: Queryable, mail: NewMail): Promise<MailRow> {
  const [row] = await db.insert(mailOutbox).values(mail).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/**
 * Claims up to `limit` mails that are due and that no other sender holds: each gets a lease until
 * `leaseSeconds` from now and one more attempt. `SKIP LOCKED` lets two processes claim at the same
 * moment without waiting for each other or claiming the same row.
 */
export async function claimDueMails(db: Queryable, limit: number, leaseSeconds: number): Promise<MailRow[]> {
  const due = db
    .select({ id: mailOutbox.id })
    .from(mailOutbox)
    .where(
      and(
        eq(mailOutbox.status, 'queued'),
        lte(mailOutbox.nextAttemptAt, sql`now()`),
        or(isNull(mailOutbox.leaseUntil), lte(mailOutbox.leaseUntil, sql`now()`)),
      ),
    )
    .orderBy(mailOutbox.nextAttemptAt, mailOutbox.id)
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(mailOutbox)
    .set({
      leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
      attempts: sql`${mailOutbox.attempts} + 1`,
    })
    .where(inArray(mailOutbox.id, due))
    .returning();
}

/** Delivered: the bodies go, the row keeps who, what and when. */
export async function markMailSent(db: Queryable, id: number): Promise<void> {
  await db
    .update(mailOutbox)
    .set({ status: 'sent', sentAt: sql`now()`, leaseUntil: null, lastError: null, textBody: null, htmlBody: null })
    .where(eq(mailOutbox.id, id));
}

/** A temporary failure: tried again after `delaySeconds`. */
export async function markMailRetry(db: Queryable, id: number, delaySeconds: number, error: string): Promise<void> {
  await db
    .update(mailOutbox)
    .set({
      nextAttemptAt: sql`now() + make_interval(secs => ${delaySeconds})`,
      leaseUntil: null,
      lastError: error,
    })
    .where(eq(mailOutbox.id, id));
}

/** A permanent failure, or retries given up: kept for the admin's mail page, never tried again. */
export async function markMailFailed(db: Queryable, id: number, error: string): Promise<void> {
  await db
    .update(mailOutbox)
    .set({ status: 'failed', leaseUntil: null, lastError: error, textBody: null, htmlBody: null })
    .where(eq(mailOutbox.id, id));
}

/**
 * When the next queued mail is due, in milliseconds from now (0: overdue; null: none queued). The
 * minimum is null over no rows; SQL's greatest() would read that as 0, and the sender would poll an
 * empty outbox as often as it can, so the floor at 0 is taken here.
 */
export async function nextMailDueInMs(db: Queryable): Promise<number | null> {
  const [row] = await db
    .select({
      ms: sql<
        number | null
      >`(extract(epoch from (min(greatest(${mailOutbox.nextAttemptAt}, coalesce(${mailOutbox.leaseUntil}, ${mailOutbox.nextAttemptAt}))) - now())) * 1000)::float8`,
    })
    .from(mailOutbox)
    .where(eq(mailOutbox.status, 'queued'));
  return row?.ms == null ? null : Math.max(0, Number(row.ms));
}

export type MailListRow = Pick<
  MailRow,
  | 'id'
  | 'kind'
  | 'recipient'
  | 'subject'
  | 'status'
  | 'attempts'
  | 'lastError'
  | 'createdAt'
  | 'sentAt'
  | 'nextAttemptAt'
>;

/** A municipality's mails, newest first, for its admins' status page. */
export async function listMails(
  db: Queryable,
  municipalityCode: number,
  filter: { status?: MailRow['status']; limit: number; offset: number },
): Promise<{ items: MailListRow[]; total: number }> {
  const where = and(
    eq(mailOutbox.municipalityCode, municipalityCode),
    filter.status ? eq(mailOutbox.status, filter.status) : undefined,
  );
  const [items, [count]] = await Promise.all([
    db
      .select({
        id: mailOutbox.id,
        kind: mailOutbox.kind,
        recipient: mailOutbox.recipient,
        subject: mailOutbox.subject,
        status: mailOutbox.status,
        attempts: mailOutbox.attempts,
        lastError: mailOutbox.lastError,
        createdAt: mailOutbox.createdAt,
        sentAt: mailOutbox.sentAt,
        nextAttemptAt: mailOutbox.nextAttemptAt,
      })
      .from(mailOutbox)
      .where(where)
      .orderBy(desc(mailOutbox.id))
      .limit(filter.limit)
      .offset(filter.offset),
    db.select({ n: sql<number>`count(*)::int` }).from(mailOutbox).where(where),
  ]);
  return { items, total: Number(count?.n ?? 0) };
}

/** Claimed but not tried (the sender is stopping): due again at once, the attempt not counted. */
export async function releaseMails(db: Queryable, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await db
    .update(mailOutbox)
    .set({ leaseUntil: null, attempts: sql`greatest(0, ${mailOutbox.attempts} - 1)` })
    .where(inArray(mailOutbox.id, ids));
}

/** The error a queued mail is given up with when its recipient's personal data was erased first. */
const MAIL_ERASED = 'application_erased';

/**
 * Erases an applicant's address from the mails about applications (kind `application-…`) sent to
 * it (case-insensitive) in one municipality: the recipient becomes `placeholder`, the subject (it
 * names the project) the mail's kind, the bodies are emptied. With `cancelQueued`, a mail still
 * queued is given up first (`failed`, MAIL_ERASED) so it is never sent; without, queued mails are
 * left alone, to be sent (and scrubbed with the next erasure). In the caller's transaction.
 */
export async function scrubApplicationMails(
  db: Queryable,
  to: { recipient: string; municipalityCode: number; placeholder: string; cancelQueued: boolean },
): Promise<{ scrubbed: number; cancelled: number }> {
  const theirs = and(
    like(mailOutbox.kind, 'application-%'),
    eq(mailOutbox.municipalityCode, to.municipalityCode),
    sql`lower(${mailOutbox.recipient}) = lower(${to.recipient})`,
  );
  const cancelled = to.cancelQueued
    ? await db
        .update(mailOutbox)
        .set({ status: 'failed', leaseUntil: null, lastError: MAIL_ERASED, textBody: null, htmlBody: null })
        .where(and(theirs, eq(mailOutbox.status, 'queued')))
        .returning({ id: mailOutbox.id })
    : [];
  const scrubbed = await db
    .update(mailOutbox)
    .set({ recipient: to.placeholder, subject: sql`${mailOutbox.kind}`, textBody: null, htmlBody: null })
    .where(and(theirs, ne(mailOutbox.status, 'queued')))
    .returning({ id: mailOutbox.id });
  return { scrubbed: scrubbed.length, cancelled: cancelled.length };
}
