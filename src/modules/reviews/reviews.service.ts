/**
 * The review of a round's applications (issue 21): reviewers score each application on the round's
 * criteria, declare conflicts of interest that keep them out, and the committee sees the scores side
 * by side with the budget left (reviews.committee.ts ranks them). Knows nothing of HTTP.
 */
import type { Database, Queryable } from '../../db/client.ts';
import { AppError, type FieldErrors, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayReview } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { targetGroupsOf } from '../applications/applications.repository.ts';
import { isUndecided } from '../applications/applications.rules.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { awardedByRound, findRound, roundExtras } from '../grants/grants.rounds.repository.ts';
import type { TargetGroupService } from '../target-groups/target-groups.service.ts';
import { type CommitteeReviewer, rankForCommittee } from './reviews.committee.ts';
import {
  applicationForReview,
  conflictsOf,
  findConflict,
  findReview,
  insertConflict,
  insertReview,
  type ReviewedApplication,
  replaceScores,
  reviewsOf,
  roundApplications,
  startReview,
  updateReviewIfVersion,
  withdrawReview,
} from './reviews.repository.ts';
import type { ReviewInput } from './reviews.schemas.ts';

/** The coded refusal of a reviewer who declared a conflict of interest on the application. */
export const reviewerConflicted = (applicationId: number) =>
  new AppError('REVIEWER_CONFLICTED', 403, 'reviews.conflicted', { details: { applicationId } });

/** The coded refusal to review an application that is decided. */
export const applicationDecided = (applicationId: number, status: string) =>
  new AppError('APPLICATION_DECIDED', 409, 'reviews.decided', { details: { applicationId, status } });

/** An application is reviewed while it is sent and not yet decided. */
const isReviewable = isUndecided;

export function createReviewService(database: Database, deps: { targetGroups: TargetGroupService }) {
  const db = database.db;

  /**
   * The application, for a reviewer of its round's municipality (404 for another municipality's
   * users, 403 for a viewer); a draft is the applicant's alone and does not exist here.
   */
  async function reviewedApplication(p: Principal, id: number, q: Queryable = db, lock = false) {
    const application = await applicationForReview(q, id, lock);
    if (!application) throw notFound('application', id);
    assertMayReview(p, application.municipalityCode, 'application', id);
    if (application.status === 'draft') throw notFound('application', id);
    return application;
  }

  function assertReviewable(application: ReviewedApplication) {
    if (!isReviewable(application.status)) throw applicationDecided(application.id, application.status);
  }

  async function assertNotConflicted(applicationId: number, userId: number, q: Queryable = db) {
    if (await findConflict(q, applicationId, userId)) throw reviewerConflicted(applicationId);
  }

  async function criteriaOf(q: Queryable, roundId: number) {
    return (await roundExtras(q, [roundId])).get(roundId)?.criteria ?? [];
  }

  /** Each of the round's criteria scored once: a criterion of another round is refused (400, coded). */
  function checkScores(criteria: { id: number }[], input: ReviewInput) {
    const own = new Set(criteria.map((c) => c.id));
    const unknown = input.scores.filter((s) => !own.has(s.criterionId)).map((s) => s.criterionId);
    if (unknown.length)
      throw new AppError('REVIEW_CRITERION_UNKNOWN', 400, 'reviews.criterion.unknown', {
        fieldErrors: Object.fromEntries(
          input.scores.flatMap((s, i) =>
            own.has(s.criterionId) ? [] : [[`scores.${i}.criterionId`, ['reviews.criterion.unknown']]],
          ),
        ),
        details: { criterionIds: unknown },
      });
    const errors: FieldErrors = {};
    const seen = new Set<number>();
    input.scores.forEach((s, i) => {
      if (seen.has(s.criterionId)) errors[`scores.${i}.criterionId`] = ['reviews.criterion.twice'];
      seen.add(s.criterionId);
    });
    criteria.forEach((c, i) => {
      if (!seen.has(c.id)) errors[`scores.${i}.score`] = ['reviews.score.required'];
    });
    if (Object.keys(errors).length) throw validationFailed(errors);
  }

  /** The counted reviews of one application, as the API and the review page show them. */
  async function reviewsOfApplication(application: ReviewedApplication) {
    const [criteria, reviews, conflicts] = await Promise.all([
      criteriaOf(db, application.roundId),
      reviewsOf(db, [application.id]),
      conflictsOf(db, [application.id]),
    ]);
    const conflicted = new Set(conflicts.map((c) => c.userId));
    const counted = reviews.filter((r) => !conflicted.has(r.reviewerId));
    const averageOf = (criterionId: number) => {
      const scores = counted.flatMap((r) => r.scores.filter((s) => s.criterionId === criterionId).map((s) => s.score));
      return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
    };
    const withAverages = criteria.map((c) => ({ ...c, average: averageOf(c.id) }));
    const averages = withAverages.flatMap((c) => (c.average === null ? [] : [c.average]));
    return {
      criteria: withAverages,
      average: averages.length ? averages.reduce((a, b) => a + b, 0) / averages.length : null,
      reviews: counted,
      conflicts,
    };
  }

  return {
    /**
     * Throws 403 REVIEWER_CONFLICTED when the user declared a conflict of interest on the
     * application: for the decision step, which a conflicted user must not take part in either.
     */
    assertNotConflicted: (applicationId: number, userId: number) => assertNotConflicted(applicationId, userId),

    /** The review page: the application's key facts, the round's criteria, the reviewer's own review. */
    async reviewPage(p: Principal, applicationId: number) {
      const application = await reviewedApplication(p, applicationId);
      const userId = p.userId as number;
      const [criteria, lines, groups, review, conflict] = await Promise.all([
        criteriaOf(db, application.roundId),
        targetGroupsOf(db, applicationId),
        deps.targetGroups.tree(),
        findReview(db, applicationId, userId),
        findConflict(db, applicationId, userId),
      ]);
      const byId = new Map(groups.map((g) => [g.id, g]));
      const own =
        review && !review.withdrawnAt
          ? (await reviewsOf(db, [applicationId])).find((r) => r.reviewerId === userId)
          : undefined;
      return {
        application,
        criteria,
        targetGroups: lines.flatMap((l) => {
          const g = byId.get(l.targetGroupId);
          return g ? [{ ...l, nameDa: g.nameDa, nameEn: g.nameEn }] : [];
        }),
        review: own,
        conflict,
        reviewable: isReviewable(application.status),
      };
    },

    /**
     * Saves the reviewer's scores from the version read (none for the first review), in one
     * transaction with its audit record; the first review of a submitted application moves it to
     * under review. Refused: a decided application (409), a conflicted reviewer (403), a criterion
     * of another round (400), a stale version (409).
     */
    async saveReview(p: Principal, applicationId: number, input: ReviewInput) {
      const first = await reviewedApplication(p, applicationId);
      const userId = p.userId as number;
      assertReviewable(first);
      await assertNotConflicted(applicationId, userId);
      checkScores(await criteriaOf(db, first.roundId), input);
      const comment = input.comment || null;
      const saved = await db.transaction(async (tx) => {
        const application = await reviewedApplication(p, applicationId, tx, true);
        assertReviewable(application);
        await assertNotConflicted(applicationId, userId, tx);
        checkScores(await criteriaOf(tx, application.roundId), input);
        const current = await findReview(tx, applicationId, userId);
        const stale = () => staleVersion('application_review', { version: current?.version ?? null });
        let row: Awaited<ReturnType<typeof insertReview>>;
        if (current === undefined) {
          if (input.version !== undefined) throw stale();
          row = await insertReview(tx, applicationId, userId, comment);
        } else {
          if (input.version === undefined || current.withdrawnAt) throw stale();
          row = await updateReviewIfVersion(tx, current.id, input.version, comment);
        }
        if (!row) throw stale();
        await replaceScores(
          tx,
          applicationId,
          userId,
          input.scores.map((s) => ({ criterionId: s.criterionId, score: s.score, comment: s.comment || null })),
        );
        // Scores by number only: comments are free text and may name people.
        await recordAudit(tx, p, {
          entity: 'application_review',
          entityId: row.id,
          action: current ? 'update' : 'create',
          after: {
            applicationId,
            version: row.version,
            scores: input.scores.map((s) => ({ criterionId: s.criterionId, score: s.score })),
          },
        });
        if (await startReview(tx, applicationId))
          await recordAudit(tx, p, {
            entity: 'application',
            entityId: applicationId,
            action: 'application_review_started',
            before: { status: 'submitted' },
            after: { status: 'under_review' },
          });
        return row;
      });
      const stored = (await reviewsOf(db, [applicationId])).find((r) => r.id === saved.id);
      if (!stored) throw new Error('the review saved was not found');
      return stored;
    },

    /**
     * Declares the user's conflict of interest on the application, with its reason: their review, if
     * any, is withdrawn (counted and shown no more), in one transaction with the audit record.
     */
    async declareConflict(p: Principal, applicationId: number, reason: string) {
      await reviewedApplication(p, applicationId);
      const userId = p.userId as number;
      await db.transaction(async (tx) => {
        const application = await reviewedApplication(p, applicationId, tx, true);
        assertReviewable(application);
        if (!(await insertConflict(tx, applicationId, userId, reason)))
          throw new AppError('CONFLICT_ALREADY_DECLARED', 409, 'reviews.conflict.already', {
            details: { applicationId },
          });
        const withdrawn = await withdrawReview(tx, applicationId, userId);
        // The reason stays in its table: free text may name people.
        await recordAudit(tx, p, {
          entity: 'application_conflict',
          entityId: applicationId,
          action: 'declare',
          after: { applicationId, userId, withdrawnReviewId: withdrawn?.id ?? null },
        });
      });
    },

    /** The application's counted reviews and averages (API); a conflicted reviewer sees none (403). */
    async reviewsOfApplication(p: Principal, applicationId: number) {
      const application = await reviewedApplication(p, applicationId);
      await assertNotConflicted(applicationId, p.userId as number);
      return { applicationId, status: application.status, ...(await reviewsOfApplication(application)) };
    },

    /**
     * The committee view of a round: its sent, reviewed and decided applications ranked by their
     * average score, with each reviewer's scores, the round's budget, what is awarded and what is left.
     */
    async committee(p: Principal, roundId: number) {
      const round = await findRound(db, roundId);
      if (!round) throw notFound('grant_round', roundId);
      assertMayReview(p, round.municipalityCode, 'grant_round', roundId);
      const [apps, criteria, awarded] = await Promise.all([
        roundApplications(db, roundId),
        criteriaOf(db, roundId),
        awardedByRound(db, [roundId]),
      ]);
      const ids = apps.map((a) => a.id);
      const [reviews, conflicts] = await Promise.all([reviewsOf(db, ids), conflictsOf(db, ids)]);
      const reviewers = new Map<number, CommitteeReviewer>();
      for (const r of [
        ...reviews.map((r) => ({ userId: r.reviewerId, name: r.reviewerName })),
        ...conflicts.map((c) => ({ userId: c.userId, name: c.userName })),
      ])
        reviewers.set(r.userId, r);
      const awardedOre = Number(awarded.get(roundId) ?? 0n);
      return {
        round,
        criteria,
        ...rankForCommittee({
          applications: apps,
          criteria,
          reviewers: [...reviewers.values()].sort((a, b) => a.name.localeCompare(b.name, 'da') || a.userId - b.userId),
          reviews,
          conflicts,
          viewerId: p.userId as number,
          budgetOre: round.budgetOre,
          awardedOre,
        }),
      };
    },
  };
}

export type ReviewService = ReturnType<typeof createReviewService>;
