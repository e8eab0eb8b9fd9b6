import { z } from 'zod';
import { rowId, rowVersion } from '../../lib/ids.ts';
import { dateTimeOut } from '../../plugins/api-schemas.ts';

/**
 * A reviewer's review of an application (issue 21, review): a score from 1 to 5 on each of the
 * round's criteria, a comment per criterion and one overall. One schema for the form and the API.
 */
const comment = (max: number) => z.string().trim().max(max).optional();

const scoreInput = z.object({
  criterionId: rowId.describe('A criterion of the application’s round'),
  score: z
    .number({ error: 'reviews.score.required' })
    .int('reviews.score.range')
    .min(1, 'reviews.score.range')
    .max(5, 'reviews.score.range')
    .describe('1 (weak) to 5 (strong)'),
  comment: comment(2000),
});

export const reviewInput = z.object({
  scores: z.array(scoreInput).min(1).max(30).describe('A score for each criterion of the round, each criterion once'),
  comment: comment(4000).describe('The overall comment'),
  version: rowVersion
    .optional()
    .describe('The version of the reviewer’s review read, to change it; leave out for the first review'),
});
export type ReviewInput = z.infer<typeof reviewInput>;

/** Declaring a conflict of interest: a short reason, kept with the declaration. */
export const conflictInput = z.object({
  reason: z
    .string({ error: 'reviews.conflict.reasonRequired' })
    .trim()
    .min(1, 'reviews.conflict.reasonRequired')
    .max(500),
});

export const reviewSchema = z.object({
  id: z.number().int(),
  applicationId: z.number().int(),
  reviewerId: z.number().int(),
  reviewerName: z.string(),
  comment: z.string().nullable(),
  version: z.number().int(),
  updatedAt: dateTimeOut,
  scores: z.array(z.object({ criterionId: z.number().int(), score: z.number().int(), comment: z.string().nullable() })),
});

export const applicationReviewsSchema = z.object({
  applicationId: z.number().int(),
  status: z.enum(['submitted', 'under_review', 'approved', 'rejected']),
  criteria: z.array(
    z.object({
      id: z.number().int(),
      position: z.number().int(),
      title: z.string(),
      average: z.number().nullable().describe('The average score of the reviews counted, or null without any'),
    }),
  ),
  average: z.number().nullable().describe('The average of the criteria’s averages'),
  reviews: z.array(reviewSchema).describe('The reviews counted: a conflicted reviewer’s are withdrawn'),
  conflicts: z.array(z.object({ userId: z.number().int(), userName: z.string(), declaredAt: dateTimeOut })),
});
