import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues, idFrom } from '../../lib/forms.ts';
import { MAX_BIG_ROW_ID } from '../../lib/ids.ts';
import { formatMoney } from '../../lib/money.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import { editableGrantFields, paymentsCorrectable } from './grants.rules.ts';
import { type Grant, grantEditForm, paymentForm } from './grants.schemas.ts';

/** Øre as a kroner field's value, the way the form reads it back ("60.000,00"), whatever the language. */
const kronerValue = (oere: number) => formatMoney(oere, 'da').replace(/ kr\.$/, '');

/** The edit form's fields a grant's status still allows; in-kind support's description only for in-kind grants. */
function formFieldsOf(grant: Grant): (keyof typeof grantEditForm.shape)[] {
  return editableGrantFields[grant.status]
    .filter((f) => f !== 'inKindDescription' || grant.kind === 'in_kind')
    .map((f) => (f === 'requestedOre' ? 'requested' : f));
}

/**
 * The edit form's schema for a grant: its version and the fields its status and kind allow. One is
 * made for each set of fields (a status and a kind give one; there are a dozen at most) and kept, as
 * making a zod schema costs a hundred times its use.
 */
const editSchemas = new Map<string, z.ZodType>();
function editSchemaOf(grant: Grant): z.ZodType {
  const fields = formFieldsOf(grant);
  const key = fields.join(' ');
  let schema = editSchemas.get(key);
  if (!schema) {
    schema = grantEditForm.pick({ version: true, ...Object.fromEntries(fields.map((f) => [f, true])) });
    editSchemas.set(key, schema);
  }
  return schema;
}

/** The service names a field as the API does; the form as people type it (kroner, not øre). */
const formErrors = (errors: Record<string, string[]> | undefined) =>
  errors && Object.fromEntries(Object.entries(errors).map(([k, v]) => [k === 'requestedOre' ? 'requested' : k, v]));

const paymentParams = (params: unknown) => ({
  id: idFrom(params),
  paymentId: idFrom(params, 'paymentId', MAX_BIG_ROW_ID),
});

/**
 * Correcting a grant after registration: its details (as far as its status allows) and its payments.
 * Both are checked against the version the form was opened at; a stale form gets 409 and the values
 * as they are now.
 */
export const grantEditRoutes: FastifyPluginAsync = async (app) => {
  const { grants, actors } = app.services;

  /** The grant and its round, for someone who may change it (permission before anything else). */
  async function grantToEdit(request: FastifyRequest, id: number) {
    const grant = await grants.getGrant(id);
    const round = await grants.getRound(grant.roundId);
    assertMayWrite(request.principal, 'grants', round.municipalityCode);
    return { grant, round };
  }

  async function editPage(
    request: FastifyRequest,
    reply: FastifyReply,
    grant: Grant,
    values: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const [round, names] = await Promise.all([grants.getRound(grant.roundId), actors.names([grant.actorId])]);
    const [caseHandlers, current] = await Promise.all([
      grants.caseHandlerOptions(round.municipalityCode),
      grants.caseHandler(grant.caseHandlerId),
    ]);
    return reply.page(
      'grants/edit',
      {
        title: request.t('grants.edit.title', { title: grant.title }),
        grant,
        round,
        actorName: names.get(grant.actorId) ?? String(grant.actorId),
        fields: formFieldsOf(grant),
        caseHandlers,
        // The grant's case handler when they can no longer be chosen (deactivated, say): kept unless changed.
        currentCaseHandler: current && !caseHandlers.some((u) => u.id === current.id) ? current : undefined,
        values,
        ...extra,
      },
      { status },
    );
  }

  const valuesOf = (g: Grant) => ({
    version: g.version,
    title: g.title,
    purpose: g.purpose,
    inKindDescription: g.inKindDescription,
    requested: kronerValue(g.requestedOre),
    periodStart: g.periodStart,
    periodEnd: g.periodEnd,
    externalRef: g.externalRef,
    caseHandlerId: g.caseHandlerId,
    reportDueOn: g.reportDueOn,
  });

  app.get('/grants/:id/edit', async (request, reply) => {
    const { grant } = await grantToEdit(request, idFrom(request.params));
    return editPage(request, reply, grant, valuesOf(grant));
  });

  app.post('/grants/:id', async (request, reply) => {
    const { grant } = await grantToEdit(request, idFrom(request.params));
    const values = formValues(request.body);
    const schema = editSchemaOf(grant);
    const parsed = schema.safeParse(coerceForm(schema, values));
    if (!parsed.success) {
      const fieldErrors = translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error));
      return editPage(request, reply, grant, values, { fieldErrors }, 422);
    }
    const { requested, ...details } = parsed.data as Partial<Record<string, unknown>> & { version: number };
    try {
      await grants.updateGrant(request.principal, grant.id, {
        ...details,
        ...(requested === undefined ? {} : { requestedOre: requested as number }),
        version: details.version,
      });
      return reply.redirect(`/grants/${grant.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const now = err.details?.current as Grant;
        return editPage(request, reply, now, { ...values, version: now.version }, { conflict: now }, 409);
      }
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 403 && err.statusCode !== 404) {
        const fieldErrors = translateFieldErrors(request.locale, formErrors(err.fieldErrors));
        return editPage(
          request,
          reply,
          grant,
          values,
          { fieldErrors, failure: request.t(err.message) },
          err.statusCode === 409 ? 409 : 422,
        );
      }
      throw err;
    }
  });

  async function paymentPage(
    request: FastifyRequest,
    reply: FastifyReply,
    grant: Grant,
    paymentId: number,
    values: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const payment = grant.payments.find((p) => p.id === paymentId);
    if (!payment) throw notFound('grant_payment', paymentId);
    return reply.page(
      'grants/payments/edit',
      {
        title: request.t('grants.payment.editTitle', { title: grant.title }),
        grant,
        payment,
        correctable: paymentsCorrectable(grant.status),
        values,
        ...extra,
      },
      { status },
    );
  }

  app.get('/grants/:id/payments/:paymentId/edit', async (request, reply) => {
    const { id, paymentId } = paymentParams(request.params);
    const { grant } = await grantToEdit(request, id);
    const p = grant.payments.find((x) => x.id === paymentId);
    return paymentPage(request, reply, grant, paymentId, {
      version: grant.version,
      kind: p?.kind,
      paidOn: p?.paidOn,
      amount: p ? kronerValue(p.amountOre) : '',
    });
  });

  formAddress(
    app,
    '/grants/:id/payments/:paymentId',
    ({ id, paymentId }) => `/grants/${id}/payments/${paymentId}/edit`,
    { paymentId: MAX_BIG_ROW_ID },
  );

  app.post('/grants/:id/payments/:paymentId', async (request, reply) => {
    const { id, paymentId } = paymentParams(request.params);
    const { grant } = await grantToEdit(request, id);
    const values = formValues(request.body);
    const parsed = paymentForm.safeParse(coerceForm(paymentForm, values));
    if (!parsed.success) {
      const fieldErrors = translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error));
      return paymentPage(request, reply, grant, paymentId, values, { fieldErrors }, 422);
    }
    const { amount, ...line } = parsed.data;
    try {
      await grants.correctPayment(request.principal, id, paymentId, { ...line, amountOre: amount });
      return reply.redirect(`/grants/${id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const now = err.details?.current as Grant;
        return paymentPage(request, reply, now, paymentId, { ...values, version: now.version }, { conflict: now }, 409);
      }
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 403 && err.statusCode !== 404) {
        const fieldErrors = translateFieldErrors(request.locale, {
          ...(err.fieldErrors?.payments ? { amount: err.fieldErrors.payments } : {}),
        });
        return paymentPage(
          request,
          reply,
          grant,
          paymentId,
          values,
          { fieldErrors, failure: request.t(err.message) },
          err.statusCode === 409 ? 409 : 422,
        );
      }
      throw err;
    }
  });
};
