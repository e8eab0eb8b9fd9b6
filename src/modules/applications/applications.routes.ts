import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { groupName } from '../../lib/format.ts';
import { coerceForm, fieldErrorsFrom, formValues, idFrom } from '../../lib/forms.ts';
import type { RoundRow } from '../grants/grants.repository.ts';
import { formValuesOf } from './applications.rules.ts';
import {
  applicationDraft,
  applicationSubmission,
  documentKinds,
  intentInput,
  tokenFrom,
} from './applications.schemas.ts';
import type { Intent } from './applications.service.ts';

/** The honeypot: a field people never see (hidden by the stylesheet) and some robots fill in. */
const HONEYPOT = 'website';
/** A form of text fields: far less than the 256 KB forms may otherwise be. */
const FORM_BODY_LIMIT = 128 * 1024;

/**
 * Applying for a § 18 grant without signing in (issue 21): the form of a round while it takes
 * applications, and the page behind an application's secret link, where a draft is finished and
 * sent. A form that does not pass is shown again (422) with the values typed and the errors beside
 * their fields; a saved one leads (303) to the application's page.
 */
export const applicationsRoutes: FastifyPluginAsync = async (app) => {
  const { applications } = app.services;

  const origin = (request: FastifyRequest) => ({ ip: request.ip, locale: request.locale });

  /** What the form's template needs besides the values: the choices and the round. */
  async function formData(request: FastifyRequest, round: RoundRow) {
    const choices = await applications.formChoices();
    const municipality = choices.municipalities.find((m) => m.code === round.municipalityCode)?.name ?? '';
    const regions = new Map<string, { label: string; options: { value: number; label: string }[] }>();
    for (const m of choices.municipalities) {
      const region = regions.get(m.regionName) ?? { label: m.regionName, options: [] };
      region.options.push({ value: m.code, label: m.name });
      regions.set(m.regionName, region);
    }
    return {
      round,
      municipality,
      targetGroups: choices.targetGroups.map((g) => ({
        id: g.id,
        depth: g.depth,
        name: groupName(g, request.locale),
      })),
      regions: [...regions.values()],
      documentKinds,
      honeypot: HONEYPOT,
    };
  }

  /** The form's values and errors after a refused post. */
  function refused(request: FastifyRequest, values: Record<string, unknown>, errors: FieldErrors | undefined) {
    return { values, fieldErrors: translateFieldErrors(request.locale, errors) };
  }

  /** Parses a form by its button: a draft needs only the e-mail address, sending needs it all. */
  function parse(values: Record<string, unknown>) {
    const { intent } = intentInput.parse(values);
    const schema = intent === 'submit' ? applicationSubmission : applicationDraft;
    return { intent: intent as Intent, parsed: schema.safeParse(coerceForm(schema, values)) };
  }

  const isValidation = (err: unknown): err is AppError => err instanceof AppError && err.code === 'VALIDATION_FAILED';
  const isRateLimited = (err: unknown): err is AppError =>
    err instanceof AppError && err.code === 'APPLICATION_RATE_LIMITED';
  /** A refusal shown on the form again, with what was typed: a field's errors, or the limit (429). */
  function refusalOf(request: FastifyRequest, values: Record<string, unknown>, err: unknown) {
    if (isValidation(err)) return { data: refused(request, values, err.fieldErrors), status: 422 };
    if (isRateLimited(err)) return { data: refused(request, values, { _: [err.message] }), status: 429 };
    throw err;
  }

  async function applyPage(request: FastifyRequest, reply: FastifyReply, roundId: number, extra = {}, status = 200) {
    const { round, open } = await applications.roundForApplying(roundId);
    const data = await formData(request, round);
    return reply.page(
      'applications/apply',
      { title: request.t('applications.apply.title', { round: round.name }), open, values: {}, ...data, ...extra },
      { status },
    );
  }

  app.get('/public/rounds/:id/apply', async (request, reply) => applyPage(request, reply, idFrom(request.params)));

  app.post('/public/rounds/:id/apply', { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    const roundId = idFrom(request.params);
    const { open } = await applications.roundForApplying(roundId);
    if (!open) throw new AppError('APPLICATIONS_CLOSED', 409, 'applications.closed');
    const values = formValues(request.body);
    // A filled honeypot is answered as if all went well, and nothing is saved or sent.
    if (typeof values[HONEYPOT] === 'string' && values[HONEYPOT].trim() !== '')
      return reply.flash('flash.applicationReceived').redirect(`/public/rounds/${roundId}/apply`, 303);
    const { intent, parsed } = parse(values);
    if (!parsed.success)
      return applyPage(request, reply, roundId, refused(request, values, fieldErrorsFrom(parsed.error)), 422);
    try {
      const { token } = await applications.apply(roundId, intent, parsed.data, origin(request));
      app.mailSender.kick();
      return reply
        .flash(intent === 'submit' ? 'flash.applicationSubmitted' : 'flash.applicationDraftSaved', {
          email: parsed.data.contactEmail,
        })
        .redirect(`/public/applications/${token}`, 303);
    } catch (err) {
      const { data, status } = refusalOf(request, values, err);
      return applyPage(request, reply, roundId, data, status);
    }
  });

  async function linkPage(request: FastifyRequest, reply: FastifyReply, token: string, extra = {}, status = 200) {
    const found = await applications.byLink(token);
    const data = await formData(request, found.round);
    // The municipality's questions, and the decision once made (status, amount and split, meeting, reasons).
    const [questions, decision] = await Promise.all([
      app.services.applicationQuestions.questionsForApplicant(found.application.id),
      app.services.applicationDecisions.decisionForApplicant(found.application),
    ]);
    return reply.page(
      'applications/show',
      {
        title: request.t('applications.show.title', { round: found.round.name }),
        ...found,
        ...data,
        questions,
        token,
        decision,
        editable: found.open && found.application.status === 'draft',
        values: formValuesOf(found.application, found.targetGroups),
        groupNames: Object.fromEntries(data.targetGroups.map((g) => [g.id, g.name])),
        municipalityNames: Object.fromEntries(data.regions.flatMap((r) => r.options.map((o) => [o.value, o.label]))),
        ...extra,
      },
      { status },
    );
  }

  app.get('/public/applications/:token', async (request, reply) => linkPage(request, reply, tokenFrom(request.params)));

  app.post('/public/applications/:token', { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    const token = tokenFrom(request.params);
    const values = formValues(request.body);
    const found = await applications.byLink(token);
    if (found.application.status !== 'draft') throw new AppError('APPLICATION_SENT', 409, 'applications.alreadySent');
    if (typeof values[HONEYPOT] === 'string' && values[HONEYPOT].trim() !== '')
      return reply.redirect(`/public/applications/${token}`, 303);
    const version = Number(values.version);
    const { intent, parsed } = parse(values);
    if (!parsed.success)
      return linkPage(request, reply, token, refused(request, values, fieldErrorsFrom(parsed.error)), 422);
    try {
      await applications.updateByLink(
        token,
        intent,
        Number.isSafeInteger(version) ? version : 0,
        parsed.data,
        origin(request),
      );
    } catch (err) {
      const { data, status } = refusalOf(request, values, err);
      return linkPage(request, reply, token, data, status);
    }
    app.mailSender.kick();
    return reply
      .flash(intent === 'submit' ? 'flash.applicationSubmitted' : 'flash.applicationDraftUpdated', {
        email: parsed.data.contactEmail,
      })
      .redirect(`/public/applications/${token}`, 303);
  });
};
