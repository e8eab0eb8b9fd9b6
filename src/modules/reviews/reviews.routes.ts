import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues, idFrom } from '../../lib/forms.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { conflictInput, reviewInput } from './reviews.schemas.ts';
import { applicationDecided, type ReviewService, reviewerConflicted } from './reviews.service.ts';

type ReviewPage = Awaited<ReturnType<ReviewService['reviewPage']>>;

/** The form's values from a saved review: a row per criterion, in the round's order. */
function valuesOf(page: ReviewPage) {
  const mine = new Map((page.review?.scores ?? []).map((s) => [s.criterionId, s]));
  return {
    comment: page.review?.comment ?? '',
    scores: page.criteria.map((c) => ({
      criterionId: c.id,
      score: mine.get(c.id)?.score ?? '',
      comment: mine.get(c.id)?.comment ?? '',
    })),
  };
}

/**
 * The review of applications by the round's municipality: a reviewer's form (scores per criterion,
 * comments), declaring a conflict of interest (asked first), and the committee view of a round.
 */
export const reviewsRoutes: FastifyPluginAsync = async (app) => {
  const { reviews } = app.services;

  function reviewPage(
    request: FastifyRequest,
    reply: FastifyReply,
    page: ReviewPage,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const a = page.application;
    return reply.page(
      'applications/review',
      {
        title: request.t('reviews.title', { title: a.projectTitle ?? String(a.id) }),
        ...page,
        values: valuesOf(page),
        version: page.review?.version ?? '',
        ...extra,
      },
      { status },
    );
  }

  app.get('/applications/:id/review', async (request, reply) =>
    reviewPage(request, reply, await reviews.reviewPage(request.principal, idFrom(request.params))),
  );

  app.post('/applications/:id/review', async (request, reply) => {
    const id = idFrom(request.params);
    // Who may act is checked first: a refused form never shows more than the page would.
    const page = await reviews.reviewPage(request.principal, id);
    if (!page.reviewable) throw applicationDecided(id, page.application.status);
    if (page.conflict) throw reviewerConflicted(id);
    const values = formValues(request.body);
    const again = (extra: Record<string, unknown>, status: number) =>
      reviewPage(request, reply, page, { values, version: values.version ?? '', ...extra }, status);
    const parsed = reviewInput.safeParse(coerceForm(reviewInput, values));
    if (!parsed.success)
      return again({ fieldErrors: translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error)) }, 422);
    try {
      await reviews.saveReview(request.principal, id, parsed.data);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const now = await reviews.reviewPage(request.principal, id);
        return reviewPage(request, reply, now, { stale: true }, 409);
      }
      if (err instanceof AppError && err.fieldErrors)
        return again({ fieldErrors: translateFieldErrors(request.locale, err.fieldErrors) }, 422);
      throw err;
    }
    reply.flash('flash.reviewSaved');
    return reply.redirect(`/applications/${id}/review`, 303);
  });

  app.post('/applications/:id/review/conflict', async (request, reply) => {
    const id = idFrom(request.params);
    const page = await reviews.reviewPage(request.principal, id);
    if (!page.reviewable) throw applicationDecided(id, page.application.status);
    const values = formValues(request.body);
    const parsed = conflictInput.safeParse(coerceForm(conflictInput, values));
    if (!parsed.success) {
      const conflictErrors = translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error));
      return reviewPage(request, reply, page, { conflictValues: values, fieldErrors: conflictErrors }, 422);
    }
    if (!confirmed(request)) {
      return askFirst(request, reply, {
        question: request.t('reviews.conflict.question', { title: page.application.projectTitle ?? String(id) }),
        consequences: [
          request.t('reviews.conflict.what.out'),
          request.t('reviews.conflict.what.withdrawn'),
          request.t('reviews.conflict.what.final'),
        ],
        yes: request.t('reviews.conflict.yes'),
        back: `/applications/${id}/review`,
        fields: { reason: parsed.data.reason },
      });
    }
    await reviews.declareConflict(request.principal, id, parsed.data.reason);
    reply.flash('flash.conflictDeclared');
    return reply.redirect(`/applications/${id}/review`, 303);
  });
  formAddress(app, '/applications/:id/review/conflict', ({ id }) => `/applications/${id}/review`);

  app.get('/grant-rounds/:id/reviews', async (request, reply) => {
    const committee = await reviews.committee(request.principal, idFrom(request.params));
    return reply.page('grant-rounds/reviews', {
      title: request.t('reviews.committee.title', { name: committee.round.name }),
      ...committee,
    });
  });
};
