import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import type { FieldErrors } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues, idFrom } from '../../lib/forms.ts';
import { answerInput, questionInput } from './applications.questions.schemas.ts';
import { tokenFrom } from './applications.schemas.ts';

/** A form of a text or two: far less than the 256 KB forms may otherwise be. */
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * Questions and answers (issue 21). Staff of the round's municipality see an application's
 * conversation at /applications/:id/questions, and those who may ask (admin, coordinator, finance)
 * ask there; the applicant answers each question through the secret link.
 */
export const applicationQuestionsRoutes: FastifyPluginAsync = async (app) => {
  const { applicationQuestions: questions } = app.services;

  const refused = (request: FastifyRequest, values: Record<string, unknown>, errors: FieldErrors | undefined) => ({
    values,
    fieldErrors: translateFieldErrors(request.locale, errors),
  });

  async function staffPage(request: FastifyRequest, reply: FastifyReply, id: number, extra = {}, status = 200) {
    const conversation = await questions.conversation(request.principal, id);
    return reply.page(
      'applications/questions',
      {
        title: request.t('applications.questions.title', { number: id }),
        ...conversation,
        values: {},
        ...extra,
      },
      { status },
    );
  }

  app.get('/applications/:id/questions', async (request, reply) => staffPage(request, reply, idFrom(request.params)));

  app.post('/applications/:id/questions', { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    const id = idFrom(request.params);
    // Who may ask is settled before the form is read: 404 outside the municipality, 403 for a reader
    // and for whoever declared a conflict of interest on the application.
    await questions.assertMayAsk(request.principal, id);
    const values = formValues(request.body);
    const parsed = questionInput.safeParse(coerceForm(questionInput, values));
    if (!parsed.success)
      return staffPage(request, reply, id, refused(request, values, fieldErrorsFrom(parsed.error)), 422);
    const question = await questions.ask(request.principal, id, parsed.data);
    app.mailSender.kick();
    return reply
      .flash('flash.applicationQuestionAsked')
      .redirect(`/applications/${id}/questions#question-${question.id}`, 303);
  });

  async function answerPage(request: FastifyRequest, reply: FastifyReply, extra = {}, status = 200) {
    const token = tokenFrom(request.params);
    const { application, question } = await questions.questionByLink(token, idFrom(request.params, 'questionId'));
    return reply.page(
      'applications/answer',
      {
        title: request.t('applications.answer.title', { number: application.id }),
        application,
        question,
        token,
        values: {},
        ...extra,
      },
      { status },
    );
  }

  app.get('/public/applications/:token/questions/:questionId', async (request, reply) => answerPage(request, reply));

  app.post(
    '/public/applications/:token/questions/:questionId',
    { bodyLimit: FORM_BODY_LIMIT },
    async (request, reply) => {
      const token = tokenFrom(request.params);
      const questionId = idFrom(request.params, 'questionId');
      // The link is the permission: another application's question is 404 before anything is read.
      await questions.questionByLink(token, questionId);
      const values = formValues(request.body);
      const parsed = answerInput.safeParse(coerceForm(answerInput, values));
      if (!parsed.success)
        return answerPage(request, reply, refused(request, values, fieldErrorsFrom(parsed.error)), 422);
      await questions.answer(token, questionId, parsed.data, request.ip);
      return reply.flash('flash.applicationQuestionAnswered').redirect(`/public/applications/${token}#questions`, 303);
    },
  );
};
