import { sql } from 'drizzle-orm';
import {
  check,
  integer,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { applications } from './applications.ts';
import { grantRoundCriteria } from './grants.ts';

/**
 * One reviewer's review of one application: the overall comment and the version the reviewer's
 * scores are saved from. Withdrawn when the reviewer declares a conflict of interest: its scores then
 * count for nothing and are shown to no one.
 */
export const applicationReviews = pgTable(
  'application_reviews',
  {
    id: serial('id').primaryKey(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    reviewerId: integer('reviewer_id')
      .notNull()
      .references(() => users.id),
    comment: text('comment'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('application_reviews_reviewer_uq').on(t.applicationId, t.reviewerId),
    check('application_reviews_comment_ck', sql`char_length(${t.comment}) <= 4000`),
  ],
);

/** A reviewer's score (1–5) of an application on one of its round's criteria, with a comment. */
export const applicationReviewScores = pgTable(
  'application_review_scores',
  {
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    reviewerId: integer('reviewer_id')
      .notNull()
      .references(() => users.id),
    /** A criterion removed from the round takes its scores with it. */
    criterionId: integer('criterion_id')
      .notNull()
      .references(() => grantRoundCriteria.id, { onDelete: 'cascade' }),
    score: smallint('score').notNull(),
    comment: text('comment'),
  },
  (t) => [
    primaryKey({ columns: [t.applicationId, t.reviewerId, t.criterionId] }),
    check('application_review_scores_score_ck', sql`${t.score} between 1 and 5`),
    check('application_review_scores_comment_ck', sql`char_length(${t.comment}) <= 2000`),
  ],
);

/** A conflict of interest a user declared on an application: it keeps them out of its review. */
export const applicationConflicts = pgTable(
  'application_conflicts',
  {
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id),
    declaredAt: timestamp('declared_at', { withTimezone: true }).notNull().defaultNow(),
    reason: text('reason').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.applicationId, t.userId] }),
    check('application_conflicts_reason_ck', sql`char_length(${t.reason}) between 1 and 500`),
  ],
);
