import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { formValues, idFrom } from '../../lib/forms.ts';
import { sendDocument } from './applications.download.ts';
import { isReportDocumentKind } from './applications.reports.rules.ts';
import { DOCUMENT_MAX_BYTES } from './applications.rules.ts';
import { documentInput, tokenFrom } from './applications.schemas.ts';

/**
 * An application's documents behind its secret link: added as a multipart upload, written to a
 * temporary file as it arrives (never more than 10 MB, see app.ts's onFile) and from there into the
 * database in pieces, and served back a piece at a time as a download that no browser renders.
 */
export const applicationDocumentRoutes: FastifyPluginAsync = async (app) => {
  const { applications } = app.services;

  const tooLarge = (max: number) =>
    new AppError('DOCUMENT_TOO_LARGE', 413, `applications.document.tooLarge?max=${max / 1024 / 1024}`);

  app.post(
    '/public/applications/:token/documents',
    {
      config: { spoolUpload: { maxBytes: DOCUMENT_MAX_BYTES, tooLarge } },
      // The link is checked before the body is read: an unknown one is 404 with nothing spooled.
      preParsing: async (request) => {
        await applications.assertLink(tokenFrom(request.params));
      },
    },
    async (request, reply) => {
      const token = tokenFrom(request.params);
      const values = formValues(request.body);
      const kind = documentInput.safeParse({ kind: values.kind });
      if (!kind.success) throw new AppError('VALIDATION_FAILED', 400, 'applications.document.kind');
      if (!request.uploadPath) throw new AppError('DOCUMENT_EMPTY', 400, 'applications.document.empty');
      const document = await applications.addDocument(token, {
        kind: kind.data.kind,
        fileName: request.uploadName ?? '',
        path: request.uploadPath,
      });
      // A report's document leads back to the report's page, the application's own to the application.
      const back = isReportDocumentKind(document.kind) ? `${token}/report#documents` : `${token}#documents`;
      return reply
        .flash('flash.applicationDocumentAdded', { name: document.fileName })
        .redirect(`/public/applications/${back}`, 303);
    },
  );

  // The address the upload form posts to is a page too: the application's own.
  app.get('/public/applications/:token/documents', async (request, reply) =>
    reply.redirect(`/public/applications/${tokenFrom(request.params)}#documents`, 303),
  );

  app.get('/public/applications/:token/documents/:documentId', async (request, reply) => {
    const token = tokenFrom(request.params);
    const { document, content } = await applications.openDocument(token, idFrom(request.params, 'documentId'));
    return sendDocument(reply, document, content);
  });
};
