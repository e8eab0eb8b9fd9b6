import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues, idFrom, parseForm } from '../../lib/forms.ts';
import { assertMayDecideApplicationReport, mayDecideApplicationReport } from '../../lib/policy.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { sendDocument } from './applications.download.ts';
import { moreRequest, reportDecision, reportDocumentKinds, reportSubmission } from './applications.reports.rules.ts';
import { tokenFrom } from './applications.schemas.ts';

/** A report's form of text fields: far less than the 256 KB forms may otherwise be. */
const FORM_BODY_LIMIT = 64 * 1024;

/**
 * A grant's report (issue 21, reporting): the applicant's page behind the application's secret link
 * (/public/applications/:token/report), and finance's page beside the grant's
 * (/grants/:id/application-report), where the report is accepted or more is asked for.
 */
export const applicationReportsRoutes: FastifyPluginAsync = async (app) => {
  const { applicationReports: reports, targetGroups } = app.services;

  /** Target-group names in the page's language. */
  async function groupNames(request: FastifyRequest): Promise<Record<number, string>> {
    return targetGroups.names(request.locale);
  }

  async function applicantPage(request: FastifyRequest, reply: FastifyReply, token: string, extra = {}, status = 200) {
    const found = await reports.forApplicant(token);
    return reply.page(
      'applications/report',
      {
        title: request.t('applications.report.title'),
        ...found,
        token,
        latest: found.reports[0],
        names: await groupNames(request),
        reportDocumentKinds,
        values: {},
        ...extra,
      },
      { status },
    );
  }

  const refused = (request: FastifyRequest, values: Record<string, unknown>, errors: FieldErrors | undefined) => ({
    values,
    fieldErrors: translateFieldErrors(request.locale, errors),
  });

  app.get('/public/applications/:token/report', async (request, reply) =>
    applicantPage(request, reply, tokenFrom(request.params)),
  );

  app.post('/public/applications/:token/report', { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    const token = tokenFrom(request.params);
    const values = formValues(request.body);
    const parsed = reportSubmission.safeParse(coerceForm(reportSubmission, values));
    if (!parsed.success)
      return applicantPage(request, reply, token, refused(request, values, fieldErrorsFrom(parsed.error)), 422);
    try {
      await reports.submitByLink(token, parsed.data);
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION_FAILED')
        return applicantPage(request, reply, token, refused(request, values, err.fieldErrors), 422);
      throw err;
    }
    return reply.flash('flash.applicationReportSent').redirect(`/public/applications/${token}/report`, 303);
  });

  async function financePage(request: FastifyRequest, reply: FastifyReply, grantId: number, extra = {}, status = 200) {
    const found = await reports.forGrant(request.principal, grantId);
    const latest = found.reports[0];
    return reply.page(
      'grants/application-report',
      {
        title: request.t('grants.applicationReport.title', { title: found.grant.title }),
        ...found,
        latest,
        names: await groupNames(request),
        canDecide:
          latest?.status === 'submitted' && mayDecideApplicationReport(request.principal, found.grant.municipalityCode),
        values: {},
        ...extra,
      },
      { status },
    );
  }

  const page = (id: number) => `/grants/${id}/application-report`;
  app.get('/grants/:id/application-report', async (request, reply) =>
    financePage(request, reply, idFrom(request.params)),
  );
  formAddress(app, '/grants/:id/application-report/accept', ({ id }) => page(Number(id)));
  formAddress(app, '/grants/:id/application-report/more', ({ id }) => page(Number(id)));

  app.post('/grants/:id/application-report/accept', async (request, reply) => {
    const grantId = idFrom(request.params);
    const found = await reports.forGrant(request.principal, grantId);
    assertMayDecideApplicationReport(request.principal, found.grant.municipalityCode);
    const decision = parseForm(reportDecision, request.body);
    if (!confirmed(request)) {
      return askFirst(request, reply, {
        question: request.t('grants.applicationReport.confirm.question', { title: found.grant.title }),
        consequences: [
          request.t(
            found.grant.status === 'paid'
              ? 'grants.applicationReport.confirm.accounted'
              : 'grants.applicationReport.confirm.received',
          ),
          request.t('grant.confirm.final'),
        ],
        yes: request.t('grants.applicationReport.confirm.yes'),
        back: page(grantId),
        fields: decision,
      });
    }
    await reports.accept(request.principal, grantId, decision);
    return reply.flash('flash.applicationReportAccepted').redirect(page(grantId), 303);
  });

  app.post('/grants/:id/application-report/more', { bodyLimit: FORM_BODY_LIMIT }, async (request, reply) => {
    const grantId = idFrom(request.params);
    const found = await reports.forGrant(request.principal, grantId);
    assertMayDecideApplicationReport(request.principal, found.grant.municipalityCode);
    const values = formValues(request.body);
    const parsed = moreRequest.safeParse(coerceForm(moreRequest, values));
    if (!parsed.success)
      return financePage(request, reply, grantId, refused(request, values, fieldErrorsFrom(parsed.error)), 422);
    await reports.requestMore(request.principal, grantId, parsed.data);
    app.mailSender.kick();
    return reply.flash('flash.applicationReportMoreRequested').redirect(page(grantId), 303);
  });

  app.get('/grants/:id/application-report/documents/:documentId', async (request, reply) => {
    const { document, content } = await reports.openDocument(
      request.principal,
      idFrom(request.params),
      idFrom(request.params, 'documentId'),
    );
    return sendDocument(reply, document, content);
  });
};
