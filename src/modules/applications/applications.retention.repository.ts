import { and, count, eq, isNull, ne, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import {
  applicants,
  applicationDocuments,
  applicationLinks,
  applicationQuestions,
  applicationReports,
  applications,
  grantRounds,
} from '../../db/schema/index.ts';
import { nextVersion } from '../../db/versions.ts';

/**
 * What stands in an erased application's NOT NULL e-mail column, and in the recipient of its mails:
 * no address, so no mail can go to it.
 */
export const ERASED_EMAIL = 'slettet';

/**
 * Why an application's personal data is due for erasure: its status decides which rule applies;
 * `undecided` is a sent application left undecided in a round that is closed or decided.
 */
export type RetentionRule = 'approved' | 'rejected' | 'draft' | 'undecided';

export interface RetentionLimits {
  /** The last financial year whose approved applications are kept: today's year − 1 − the years kept. */
  approvedUpToYear: number;
  /** Rejected applications decided before this instant, and drafts last saved before the other, are due. */
  rejectedBefore: Date;
  draftsBefore: Date;
  /**
   * A Danish date (YYYY-MM-DD): undecided applications of a closed or decided round whose decision
   * date (else its application close date) is before it are due.
   */
  undecidedRoundsBefore: string;
}

/**
 * Up to `limit` applications whose personal data is due for erasure, in one statement: approved
 * ones of a round whose year is `approvedUpToYear` or earlier and whose grant is no longer open
 * (not `approved` or `paid`: the report and the accounts may still come), rejected ones decided
 * before `rejectedBefore`, drafts last saved before `draftsBefore`, and sent ones never decided in
 * a round that is closed or decided, whose decision date (else close date) is before
 * `undecidedRoundsBefore`; none already erased.
 */
export async function dueForErasure(
  db: Queryable,
  limits: RetentionLimits,
  limit: number,
): Promise<{ id: number; rule: RetentionRule }[]> {
  // As text: the app's postgres.js serialises no Date in a raw statement's parameters.
  const found = await rows<{ id: number; rule: RetentionRule }>(
    db,
    sql`select a.id,
        case when a.status in ('submitted', 'under_review') then 'undecided' else a.status::text end as rule
      from applications a join grant_rounds r on r.id = a.round_id
      where a.erased_at is null and (
        (a.status = 'approved' and r.year <= ${limits.approvedUpToYear}
          and not exists (select 1 from grants g where g.id = a.grant_id and g.status in ('approved', 'paid')))
        or (a.status = 'rejected' and coalesce(a.decided_at, a.updated_at) < ${limits.rejectedBefore.toISOString()}::timestamptz)
        or (a.status = 'draft' and a.updated_at < ${limits.draftsBefore.toISOString()}::timestamptz)
        or (a.status in ('submitted', 'under_review') and r.status in ('closed', 'decided')
          and coalesce(r.decision_on, r.applications_close_on) < ${limits.undecidedRoundsBefore}::date))
      order by a.id
      limit ${limit}`,
  );
  return found.map((r) => ({ id: Number(r.id), rule: r.rule }));
}

/**
 * The application locked for its erasure, with its round's municipality and the address its mails
 * went to; undefined when already erased.
 */
export async function lockForErasure(db: Queryable, id: number) {
  const [row] = await db
    .select({
      id: applications.id,
      applicantId: applications.applicantId,
      contactEmail: applications.contactEmail,
      hasDecisionReasons: sql<boolean>`${applications.decisionReasons} is not null`,
      municipalityCode: grantRounds.municipalityCode,
    })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(and(eq(applications.id, id), isNull(applications.erasedAt)))
    .for('update', { of: applications });
  return row;
}

/**
 * Whether another application still holding personal data, in a round of the same municipality,
 * has the same contact address (case-insensitive): its mails cannot be told from this one's.
 */
export async function addressHeldByAnother(
  db: Queryable,
  id: number,
  email: string,
  municipalityCode: number,
): Promise<boolean> {
  const [row] = await db
    .select({ n: count() })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(
      and(
        ne(applications.id, id),
        isNull(applications.erasedAt),
        eq(grantRounds.municipalityCode, municipalityCode),
        sql`lower(${applications.contactEmail}) = lower(${email})`,
      ),
    );
  return Number(row?.n) > 0;
}

/**
 * Erases the applicant's personal data from one application: the names, e-mail, phone, bank
 * account and the decision's reasons on the row (the version goes up, so a form read before
 * loses), its documents (their content goes with them), its links, the bodies of its questions and
 * answers, and its reports' text and finance's notes on them (their status and reach stay). What
 * bookkeeping and statistics need stays: round, amounts, target groups, the organisation's name and
 * CVR, an informal group's name. Returns how much went, for the audit trail.
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
      decisionReasons: null,
      erasedAt: at,
      ...nextVersion(applications),
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
    .set({ body: '', answer: null, ...nextVersion(applicationQuestions) })
    .where(eq(applicationQuestions.applicationId, id))
    .returning({ id: applicationQuestions.id });
  const reports = await db
    .update(applicationReports)
    .set({ whatWasDone: '', financeNote: null, ...nextVersion(applicationReports) })
    .where(eq(applicationReports.applicationId, id))
    .returning({ id: applicationReports.id });
  return {
    documents: documents.length,
    links: links.length,
    questions: questions.length,
    reports: reports.length,
  };
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
