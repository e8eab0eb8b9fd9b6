import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DOCUMENT_TYPES } from '../../lib/document-type.ts';
import { rowIdParam, rowIdParams } from '../../lib/ids.ts';
import { pageOfSchema } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import type { DocumentRow } from './applications.documents.repository.ts';
import { sendDocument } from './applications.download.ts';
import type { ApplicationRow, TargetGroupLine } from './applications.repository.ts';
import { applicationDetail, applicationListItem, applicationListQuery } from './applications.staff.schemas.ts';

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** An application in a list: who applies, for what, and where it stands. */
function listItem(a: ApplicationRow) {
  return {
    id: a.id,
    roundId: a.roundId,
    status: a.status as Exclude<ApplicationRow['status'], 'draft'>,
    applicantKind: a.applicantKind,
    organisationName: a.organisationName,
    cvr: a.cvr,
    groupName: a.groupName,
    projectTitle: a.projectTitle,
    appliedOre: a.appliedOre,
    submittedAt: iso(a.submittedAt),
    actorId: a.actorId,
    grantId: a.grantId,
    decidedAt: iso(a.decidedAt),
    version: a.version,
  };
}

function detail(a: ApplicationRow, targetGroups: TargetGroupLine[], documents: DocumentRow[]) {
  return {
    ...listItem(a),
    responsibleName: a.responsibleName,
    coSignerName: a.coSignerName,
    contactName: a.contactName,
    // The NOT NULL column holds a placeholder once erased: no address, so none is given.
    contactEmail: a.erasedAt ? null : a.contactEmail,
    contactPhone: a.contactPhone,
    purpose: a.purpose,
    municipalityCodes: a.municipalityCodes,
    periodFrom: a.periodFrom,
    periodTo: a.periodTo,
    budgetLines: a.budgetLines,
    ownFinancingOre: a.ownFinancingOre,
    otherFundingOre: a.otherFundingOre,
    bankAccount: a.bankRegNo && a.bankAccountNo ? { regNo: a.bankRegNo, accountNo: a.bankAccountNo } : null,
    targetGroups,
    decisionMeeting: a.decisionMeeting,
    decisionReasons: a.decisionReasons,
    erasedAt: iso(a.erasedAt),
    documents: documents.map((d) => ({
      id: d.id,
      kind: d.kind,
      fileName: d.fileName,
      mediaType: d.mediaType,
      sizeBytes: d.sizeBytes,
      href: `/api/v1/applications/${a.id}/documents/${d.id}`,
    })),
  };
}

/**
 * Applications for the staff of the round's municipality (issue 21): an API key sees its own
 * municipality's sent applications and nothing else (another's is 404, as on the pages).
 */
export const applicationsStaffApi: FastifyPluginAsyncZod = async (app) => {
  const inbox = app.services.applicationInbox;

  app.get(
    '/api/v1/applications',
    {
      schema: {
        tags: ['applications'],
        summary: 'Your municipality’s applications, oldest sent first',
        description:
          'Sent applications to your own municipality’s rounds (never a draft). A roundId of another municipality’s round is 404.',
        querystring: applicationListQuery,
        response: { 200: pageOfSchema(applicationListItem), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { rows, total } = await inbox.list(request.principal, request.query);
      return { items: rows.map(listItem), total };
    },
  );

  app.get(
    '/api/v1/applications/:id',
    {
      schema: {
        tags: ['applications'],
        summary: 'One application: everything the applicant sent, with its documents as links',
        params: rowIdParams,
        response: { 200: applicationDetail, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const found = await inbox.detail(request.principal, request.params.id);
      return detail(found.application, found.targetGroups, found.documents);
    },
  );

  app.get(
    '/api/v1/applications/:id/documents/:documentId',
    {
      schema: {
        tags: ['applications'],
        summary: 'A document of an application, as a download',
        description:
          'Streamed with its type read from its content, Content-Disposition: attachment, X-Content-Type-Options: nosniff and Content-Security-Policy: sandbox.',
        params: z.object({ id: rowIdParam, documentId: rowIdParam }),
        response: {
          200: {
            description: 'The file (PDF, DOCX, XLSX, ODT, JPEG or PNG)',
            content: Object.fromEntries(
              Object.values(DOCUMENT_TYPES).map((type) => [
                type,
                { schema: z.custom<Buffer>().meta({ type: 'string', format: 'binary' }) },
              ]),
            ),
          },
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const { document, content } = await inbox.openDocument(
        request.principal,
        request.params.id,
        request.params.documentId,
      );
      return sendDocument(reply, document, content);
    },
  );
};
