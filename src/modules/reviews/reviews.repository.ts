import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import {
  applicationConflicts,
  applicationReviewScores,
  applicationReviews,
  applications,
  grantRoundCriteria,
  grantRounds,
  users,
} from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';
import { UNDECIDED_STATUSES } from '../applications/applications.rules.ts';

/** The statuses the committee view lists: undecided and decided, never a draft. */
const LISTED = [...UNDECIDED_STATUSES, 'approved', 'rejected'] as const;

/** An application with its round's municipality and budget: what the review pages need of both. */
export async function applicationForReview(db: Queryable, id: number, forUpdate = false) {
  const q = db
    .select({
      id: applications.id,
      roundId: applications.roundId,
      status: applications.status,
      version: applications.version,
      applicantKind: applications.applicantKind,
      organisationName: applications.organisationName,
      groupName: applications.groupName,
      projectTitle: applications.projectTitle,
      appliedOre: applications.appliedOre,
      municipalityCode: grantRounds.municipalityCode,
      roundName: grantRounds.name,
    })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(eq(applications.id, id));
  const [row] = forUpdate ? await q.for('update', { of: applications }) : await q;
  return row;
}
export type ReviewedApplication = NonNullable<Awaited<ReturnType<typeof applicationForReview>>>;

/** A submitted application moves to under review (its version bumped); false when it was not submitted. */
export async function startReview(db: Queryable, applicationId: number): Promise<boolean> {
  const rows = await db
    .update(applications)
    .set({ status: 'under_review', ...nextVersionNow(applications) })
    .where(and(eq(applications.id, applicationId), eq(applications.status, 'submitted')))
    .returning({ id: applications.id });
  return rows.length > 0;
}

export async function findReview(db: Queryable, applicationId: number, reviewerId: number) {
  const [row] = await db
    .select()
    .from(applicationReviews)
    .where(and(eq(applicationReviews.applicationId, applicationId), eq(applicationReviews.reviewerId, reviewerId)));
  return row;
}

/** The reviewer's first review; undefined when one was made meanwhile (the unique index). */
export async function insertReview(db: Queryable, applicationId: number, reviewerId: number, comment: string | null) {
  const [row] = await db
    .insert(applicationReviews)
    .values({ applicationId, reviewerId, comment })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** The reviewer's review changed from the version read; undefined when stale or withdrawn. */
export async function updateReviewIfVersion(db: Queryable, id: number, version: number, comment: string | null) {
  const [row] = await db
    .update(applicationReviews)
    .set({ comment, ...nextVersionNow(applicationReviews) })
    .where(
      and(
        eq(applicationReviews.id, id),
        eq(applicationReviews.version, version),
        isNull(applicationReviews.withdrawnAt),
      ),
    )
    .returning();
  return row;
}

export interface ScoreLine {
  criterionId: number;
  score: number;
  comment: string | null;
}

export async function replaceScores(db: Queryable, applicationId: number, reviewerId: number, lines: ScoreLine[]) {
  const mine = and(
    eq(applicationReviewScores.applicationId, applicationId),
    eq(applicationReviewScores.reviewerId, reviewerId),
  );
  await db.delete(applicationReviewScores).where(mine);
  if (lines.length)
    await db.insert(applicationReviewScores).values(lines.map((l) => ({ applicationId, reviewerId, ...l })));
}

/** Withdraws the reviewer's review (its scores stay stored, counted by no one); the row, if any. */
export async function withdrawReview(db: Queryable, applicationId: number, reviewerId: number) {
  const [row] = await db
    .update(applicationReviews)
    .set({ withdrawnAt: sql`now()`, ...nextVersionNow(applicationReviews) })
    .where(
      and(
        eq(applicationReviews.applicationId, applicationId),
        eq(applicationReviews.reviewerId, reviewerId),
        isNull(applicationReviews.withdrawnAt),
      ),
    )
    .returning();
  return row;
}

/** The declaration; false when the user had already declared one. */
export async function insertConflict(db: Queryable, applicationId: number, userId: number, reason: string) {
  const rows = await db
    .insert(applicationConflicts)
    .values({ applicationId, userId, reason })
    .onConflictDoNothing()
    .returning({ userId: applicationConflicts.userId });
  return rows.length > 0;
}

export async function findConflict(db: Queryable, applicationId: number, userId: number) {
  const [row] = await db
    .select()
    .from(applicationConflicts)
    .where(and(eq(applicationConflicts.applicationId, applicationId), eq(applicationConflicts.userId, userId)));
  return row;
}

/** The reviews counted (not withdrawn) of the applications, with their reviewers' names and scores. */
export async function reviewsOf(db: Queryable, applicationIds: number[]) {
  if (!applicationIds.length) return [];
  const [reviews, scores] = await Promise.all([
    db
      .select({
        id: applicationReviews.id,
        applicationId: applicationReviews.applicationId,
        reviewerId: applicationReviews.reviewerId,
        reviewerName: users.name,
        comment: applicationReviews.comment,
        version: applicationReviews.version,
        updatedAt: applicationReviews.updatedAt,
      })
      .from(applicationReviews)
      .innerJoin(users, eq(users.id, applicationReviews.reviewerId))
      .where(and(inArray(applicationReviews.applicationId, applicationIds), isNull(applicationReviews.withdrawnAt)))
      .orderBy(asc(users.name), asc(applicationReviews.reviewerId)),
    db
      .select({
        applicationId: applicationReviewScores.applicationId,
        reviewerId: applicationReviewScores.reviewerId,
        criterionId: applicationReviewScores.criterionId,
        score: applicationReviewScores.score,
        comment: applicationReviewScores.comment,
      })
      .from(applicationReviewScores)
      .innerJoin(grantRoundCriteria, eq(grantRoundCriteria.id, applicationReviewScores.criterionId))
      .where(inArray(applicationReviewScores.applicationId, applicationIds))
      .orderBy(asc(grantRoundCriteria.position)),
  ]);
  const key = (applicationId: number, reviewerId: number) => `${applicationId}:${reviewerId}`;
  const byReview = new Map<string, ScoreLine[]>();
  for (const s of scores) {
    const list = byReview.get(key(s.applicationId, s.reviewerId)) ?? [];
    list.push({ criterionId: s.criterionId, score: s.score, comment: s.comment });
    byReview.set(key(s.applicationId, s.reviewerId), list);
  }
  return reviews.map((r) => ({ ...r, scores: byReview.get(key(r.applicationId, r.reviewerId)) ?? [] }));
}
export type ReviewWithScores = Awaited<ReturnType<typeof reviewsOf>>[number];

/** The conflicts declared on the applications, with the users' names. */
export async function conflictsOf(db: Queryable, applicationIds: number[]) {
  if (!applicationIds.length) return [];
  return db
    .select({
      applicationId: applicationConflicts.applicationId,
      userId: applicationConflicts.userId,
      userName: users.name,
      declaredAt: applicationConflicts.declaredAt,
      reason: applicationConflicts.reason,
    })
    .from(applicationConflicts)
    .innerJoin(users, eq(users.id, applicationConflicts.userId))
    .where(inArray(applicationConflicts.applicationId, applicationIds))
    .orderBy(asc(users.name));
}

/** The round's applications the committee sees: sent, being reviewed or decided. */
export async function roundApplications(db: Queryable, roundId: number) {
  return db
    .select({
      id: applications.id,
      status: applications.status,
      applicantKind: applications.applicantKind,
      organisationName: applications.organisationName,
      groupName: applications.groupName,
      projectTitle: applications.projectTitle,
      appliedOre: applications.appliedOre,
    })
    .from(applications)
    .where(and(eq(applications.roundId, roundId), inArray(applications.status, [...LISTED])))
    .orderBy(asc(applications.id));
}
