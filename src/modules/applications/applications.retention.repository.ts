import { and, count, eq, isNull, ne, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import {
  applicants,
  applicationDocuments,
  applicationLinks,
  applicationQuestions,
  applications,
  grantRounds,
} from '../../db/schema/index.ts';

/** What stands in an erased application's NOT NULL e-mail column: no address, so no mail can go to it. */
const ERASED_EMAIL = 'slettet';

/** Why an application's personal data is due for erasure: its status decides which rule applies. */
export type RetentionRule = 'approved' | 'rejected' | 'draft';

export interface RetentionLimits {
  /** The last financial year whose approved applications are kept: today's year − 1 − the years kept. */
  approvedUpToYear: number;
  /** Rejected applications decided before this instant, and drafts last saved before the other, are due. */
  rejectedBefore: Date;
  draftsBefore: Date;
}

/**
 * Up to `limit` applications whose personal data is due for erasure, in one statement: approved
 * ones of a round whose year is `approvedUpToYear` or earlier, rejected ones decided before
 * `rejectedBefore` and drafts last saved before `draftsBefore`; none already erased.
 */
export async function dueForErasure(
  db: Queryable,
  limits: RetentionLimits,
  limit: number,
): Promise<{ id: number; rule: RetentionRule }[]> {
  // As text: the app's postgres.js serialises no Date in a raw statement's parameters.
  const found = await rows<{ id: number; rule: RetentionRule }>(
    db,
    sql`select a.id, a.status::text as rule
      from applications a join grant_rounds r on r.id = a.round_id
      where a.erased_at is null and (
        (a.status = 'approved' and r.year <= ${limits.approvedUpToYear})
        or (a.status = 'rejected' and coalesce(a.decided_at, a.updated_at) < ${limits.rejectedBefore.toISOString()}::timestamptz)
        or (a.status = 'draft' and a.updated_at < ${limits.draftsBefore.toISOString()}::timestamptz))
      order by a.id
      limit ${limit}`,
  );
  return found.map((r) => ({ id: Number(r.id), rule: r.rule }));
}

/** The application locked for its erasure, with its round's municipality; undefined when already erased. */
export async function lockForErasure(db: Queryable, id: number) {
  const [row] = await db
    .select({
      id: applications.id,
      applicantId: applications.applicantId,
      municipalityCode: grantRounds.municipalityCode,
    })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(and(eq(applications.id, id), isNull(applications.erasedAt)))
    .for('update', { of: applications });
  return row;
}

/**
 * Erases the applicant's personal data from one application: the names, e-mail, phone and bank
 * account on the row (the version goes up, so a form read before loses), its documents (their
 * content goes with them), its links and the bodies of its questions and answers. What bookkeeping
 * and statistics need stays: round, amounts, target groups, the organisation's name and CVR, an
 * informal group's name. Returns how much went, for the audit trail.
 */
export async function eraseApplication(db: Queryable, id: number, at: Date) {
  await db
    .update(applications)
    .set({
      contactName: null,
      responsibleName: null,
      coSignerName: null,
      contactEmail: ERASED_EMAIL,
      contactPhone: null,
      bankRegNo: null,
      bankAccountNo: null,
      erasedAt: at,
      version: sql`${applications.version} + 1`,
    })
    .where(eq(applications.id, id));
  const documents = await db
    .delete(applicationDocuments)
    .where(eq(applicationDocuments.applicationId, id))
    .returning({ id: applicationDocuments.id });
  const links = await db
    .delete(applicationLinks)
    .where(eq(applicationLinks.applicationId, id))
    .returning({ tokenHash: applicationLinks.tokenHash });
  const questions = await db
    .update(applicationQuestions)
    .set({ body: '', answer: null, version: sql`${applicationQuestions.version} + 1` })
    .where(eq(applicationQuestions.applicationId, id))
    .returning({ id: applicationQuestions.id });
  return { documents: documents.length, links: links.length, questions: questions.length };
}

/**
 * An applicant none of whose applications holds personal data any more loses the e-mail address:
 * a marker unique to the row takes its place (the rows stay, as the applications point to them).
 * Returns whether it did.
 */
export async function forgetApplicantIfDone(db: Queryable, applicantId: number): Promise<boolean> {
  const [left] = await db
    .select({ n: count() })
    .from(applications)
    .where(and(eq(applications.applicantId, applicantId), isNull(applications.erasedAt)));
  if (Number(left?.n) > 0) return false;
  const changed = await db
    .update(applicants)
    .set({ email: sql`'slettet-' || ${applicants.id}` })
    .where(and(eq(applicants.id, applicantId), ne(applicants.email, sql`'slettet-' || ${applicants.id}`)))
    .returning({ id: applicants.id });
  return changed.length > 0;
}
