import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { rowIdParams } from '../../lib/ids.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import type { ReviewWithScores } from './reviews.repository.ts';
import { applicationReviewsSchema, reviewInput, reviewSchema } from './reviews.schemas.ts';

const reviewOut = (r: ReviewWithScores) => ({ ...r, updatedAt: r.updatedAt.toISOString() });

/** Reviews of an application through the API: the key acts with its user's rights, as on the pages. */
export const reviewsApi: FastifyPluginAsyncZod = async (app) => {
  const { reviews } = app.services;

  app.post(
    '/api/v1/applications/:id/reviews',
    {
      schema: {
        tags: ['applications'],
        summary: 'Score an application on its round’s criteria (coordinator, finance or admin, own municipality)',
        description:
          'Saves the caller’s own review: a score from 1 to 5 for each criterion of the round, with comments. ' +
          'The first review is sent without version; a change states the version read (409 STALE_VERSION when stale). ' +
          'The first review of a submitted application moves it to under_review. A criterion of another round is ' +
          '400 REVIEW_CRITERION_UNKNOWN; a caller who declared a conflict of interest gets 403 REVIEWER_CONFLICTED; ' +
          'a decided application 409 APPLICATION_DECIDED. Another municipality’s application is 404.',
        params: rowIdParams,
        body: reviewInput,
        response: { 201: reviewSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(reviewOut(await reviews.saveReview(request.principal, request.params.id, request.body))),
  );

  app.get(
    '/api/v1/applications/:id/reviews',
    {
      schema: {
        tags: ['applications'],
        summary: 'An application’s reviews: each reviewer’s scores, the averages per criterion and in all',
        description:
          'For the reviewers of the round’s municipality. Reviews withdrawn by a conflict of interest are not counted ' +
          'or shown; a caller who declared one gets 403 REVIEWER_CONFLICTED.',
        params: rowIdParams,
        response: { 200: applicationReviewsSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const out = await reviews.reviewsOfApplication(request.principal, request.params.id);
      return {
        applicationId: out.applicationId,
        status: out.status as z.infer<typeof applicationReviewsSchema>['status'],
        criteria: out.criteria.map((c) => ({ id: c.id, position: c.position, title: c.title, average: c.average })),
        average: out.average,
        reviews: out.reviews.map(reviewOut),
        conflicts: out.conflicts.map((c) => ({
          userId: c.userId,
          userName: c.userName,
          declaredAt: c.declaredAt.toISOString(),
        })),
      };
    },
  );
};
