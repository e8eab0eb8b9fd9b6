import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues, idFrom } from '../../lib/forms.ts';
import { formatMoney, oereAsDecimal } from '../../lib/money.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { type DecisionForm, type DecisionInput, decisionForm, formFieldOf } from './applications.decision.schemas.ts';

/** The form as the API's input: kroner typed become øre, the lines the split. */
const asInput = (f: DecisionForm): DecisionInput => ({
  decision: f.decision,
  meeting: f.meeting,
  reasons: f.reasons,
  version: f.version,
  ...(f.decision === 'approve'
    ? {
        awardedOre: f.awarded,
        allocations: f.lines.map((l) => ({ targetGroupId: l.targetGroupId, amountOre: l.amount })),
        periodStart: f.periodStart ?? null,
        periodEnd: f.periodEnd ?? null,
        overrideBudget: f.overrideBudget,
      }
    : {}),
});

/** A refusal's field errors under the form's own field names. */
const onForm = (errors: FieldErrors | undefined): FieldErrors | undefined =>
  errors &&
  Object.fromEntries(Object.entries(errors).map(([k, v]) => [formFieldOf[k.split('.')[0] as string] ?? k, v]));

/** Even shares of an amount, the øre left over on the first. */
function evenSplit(total: number, n: number): number[] {
  if (n === 0) return [];
  const share = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => (i === 0 ? total - share * (n - 1) : share));
}

/**
 * The decision on an online application (issue 21): its page and form for finance and admin of
 * the round's municipality. The form is asked about first (the confirm step), after a rehearsal of
 * the decision, so the question is only asked of a decision that would pass; the answer records it.
 */
export const applicationDecisionRoutes: FastifyPluginAsync = async (app) => {
  const { applicationDecisions: decisions, targetGroups } = app.services;

  async function decisionPage(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const found = await decisions.forDecision(request.principal, id);
    const a = found.application;
    const groupNames = await targetGroups.names(request.locale);
    const applied = a.appliedOre ?? 0;
    const shares = evenSplit(applied, found.targetGroups.length);
    const prefilled = {
      awarded: oereAsDecimal(applied),
      periodStart: a.periodFrom ?? '',
      periodEnd: a.periodTo ?? '',
      lines: found.targetGroups.map((g, i) => ({
        targetGroupId: g.targetGroupId,
        amount: oereAsDecimal(shares[i] ?? 0),
      })),
    };
    return reply.page(
      'applications/decision',
      {
        title: request.t('applications.decision.title', { title: a.projectTitle ?? `#${a.id}` }),
        ...found,
        applicantName: a.organisationName ?? a.groupName ?? '',
        groupNames,
        undecided: a.status === 'submitted' || a.status === 'under_review',
        values: prefilled,
        ...extra,
      },
      { status },
    );
  }

  app.get('/applications/:id/decision', async (request, reply) => decisionPage(request, reply, idFrom(request.params)));

  app.post('/applications/:id/decision', async (request, reply) => {
    const id = idFrom(request.params);
    const values = formValues(request.body);
    // Permission before anything else: the page's own check (404 or 403) comes first.
    const found = await decisions.forDecision(request.principal, id);
    const refused = (errors: FieldErrors | undefined, failure?: string, failureCode?: string, code = 422) =>
      decisionPage(
        request,
        reply,
        id,
        { values, fieldErrors: translateFieldErrors(request.locale, onForm(errors)), failure, failureCode },
        code,
      );
    const parsed = decisionForm.safeParse(coerceForm(decisionForm, values));
    if (!parsed.success) return refused(fieldErrorsFrom(parsed.error));
    const input = asInput(parsed.data);
    try {
      if (!confirmed(request)) {
        await decisions.decide(request.principal, id, input, { rehearse: true });
        const title = found.application.projectTitle ?? `#${id}`;
        const approve = input.decision === 'approve';
        const lines = parsed.data.lines.flatMap((l, i) => [
          [`lines[${i}][targetGroupId]`, String(l.targetGroupId)],
          [`lines[${i}][amount]`, oereAsDecimal(l.amount)],
        ]);
        return askFirst(request, reply, {
          question: request.t(
            approve ? 'applications.decision.confirm.approve' : 'applications.decision.confirm.reject',
            {
              title,
              amount: formatMoney(input.awardedOre ?? 0, request.locale),
            },
          ),
          consequences: [
            approve
              ? request.t('applications.decision.confirm.grant', {
                  round: found.round.name,
                  actor: found.actorName ?? '',
                })
              : request.t('applications.decision.confirm.noGrant'),
            request.t('applications.decision.confirm.mail', {
              language: request.t(`applications.decision.language.${found.application.locale}`),
            }),
            request.t('applications.decision.confirm.final'),
          ],
          yes: request.t(approve ? 'applications.decision.yes.approve' : 'applications.decision.yes.reject'),
          back: `/applications/${id}/decision`,
          fields: {
            decision: input.decision,
            meeting: input.meeting,
            reasons: input.reasons,
            version: input.version,
            ...(approve
              ? {
                  awarded: oereAsDecimal(input.awardedOre ?? 0),
                  periodStart: parsed.data.periodStart,
                  periodEnd: parsed.data.periodEnd,
                  overrideBudget: parsed.data.overrideBudget ? 'on' : undefined,
                  ...Object.fromEntries(lines),
                }
              : {}),
          },
        });
      }
      const decided = await decisions.decide(request.principal, id, input);
      app.mailSender.kick();
      reply.flash(decided.status === 'approved' ? 'flash.applicationApproved' : 'flash.applicationRejected', {
        title: found.application.projectTitle ?? `#${id}`,
        amount: decided.awardedOre ?? 0,
      });
      return reply.redirect(`/applications/${id}/decision`, 303);
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 403 && err.statusCode !== 404) {
        return refused(
          err.fieldErrors,
          err.fieldErrors ? undefined : request.t(err.message),
          err.code,
          err.statusCode === 409 ? 409 : 422,
        );
      }
      throw err;
    }
  });
};
