/**
 * An application's documents: added through its link, stored in the database in pieces with the
 * document's row in one transaction, after the virus-scanner hook has seen the content, and served
 * back a piece at a time. Part of the application service (createApplicationService spreads these in).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Database, Queryable } from '../../db/client.ts';
import type { DocumentScanner } from '../../lib/document-scan.ts';
import { detectDocumentType } from '../../lib/document-type.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { RoundRow } from '../grants/grants.repository.ts';
import {
  documentBytesOf,
  documentContent,
  documentsOf,
  findDocument,
  insertDocument,
} from './applications.documents.repository.ts';
import { latestReport } from './applications.reports.repository.ts';
import { isReportDocumentKind, type ReportDocumentKind, reportTakesSubmission } from './applications.reports.rules.ts';
import { applicationByLink } from './applications.repository.ts';
import { APPLICATION_DOCUMENTS_MAX_BYTES, applicantActor, DOCUMENT_MAX_BYTES, linkHash } from './applications.rules.ts';
import type { documentKinds } from './applications.schemas.ts';

export interface UploadedDocument {
  kind: (typeof documentKinds)[number] | ReportDocumentKind;
  fileName: string;
  /** Where the upload was written as it arrived (removed by the caller). */
  path: string;
}

const megabytes = (bytes: number) => bytes / 1024 / 1024;

/** A file name as shown and sent back: no path, no control characters, at most 200 characters. */
function plainFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"]/gu, '')
    .trim()
    .slice(0, 200);
  return clean || 'dokument';
}

export function applicationDocumentMethods(
  database: Database,
  deps: {
    scanner: DocumentScanner;
    roundOf: (db: Queryable, roundId: number) => Promise<RoundRow>;
    assertTakesApplications: (round: RoundRow) => void;
  },
) {
  const db = database.db;
  return {
    documentsOf: (applicationId: number) => documentsOf(db, applicationId),

    /** 404 unless the token is an application's link: asked before an upload's body is read. */
    async assertLink(token: string) {
      if (!(await applicationByLink(db, linkHash(token)))) throw notFound('application', 'link');
    },

    /**
     * Adds a document through the application's link. Refused with nothing written: an unknown link
     * (404), a closed round (409), an empty file (400), a type other than PDF, DOCX, XLSX, ODT, JPEG
     * or PNG by its content (415), more than 30 MB for the application (413), or a scanner's verdict
     * other than clean (422). The size of one file (10 MB) is held as it arrives (lib/upload.ts).
     */
    async addDocument(token: string, upload: UploadedDocument) {
      return db.transaction(async (tx) => {
        // The row is locked: two uploads at once cannot pass the application's limit together.
        const application = await applicationByLink(tx, linkHash(token), true);
        if (!application) throw notFound('application', 'link');
        // A report's documents while the application takes a report; the application's own while its round is open.
        if (isReportDocumentKind(upload.kind)) {
          if (!reportTakesSubmission(application, await latestReport(tx, application.id)))
            throw new AppError('REPORT_NOT_OPEN', 409, 'applications.report.notOpen');
        } else deps.assertTakesApplications(await deps.roundOf(tx, application.roundId));
        const bytes = (await stat(upload.path)).size;
        if (bytes <= 0) throw new AppError('DOCUMENT_EMPTY', 400, 'applications.document.empty');
        if (bytes > DOCUMENT_MAX_BYTES)
          throw new AppError(
            'DOCUMENT_TOO_LARGE',
            413,
            `applications.document.tooLarge?max=${megabytes(DOCUMENT_MAX_BYTES)}`,
          );
        const mediaType = await detectDocumentType(upload.path);
        if (!mediaType) throw new AppError('DOCUMENT_TYPE_REFUSED', 415, 'applications.document.type');
        const held = await documentBytesOf(tx, application.id);
        if (held + bytes > APPLICATION_DOCUMENTS_MAX_BYTES)
          throw new AppError(
            'DOCUMENTS_TOO_LARGE',
            413,
            `applications.document.applicationFull?max=${megabytes(APPLICATION_DOCUMENTS_MAX_BYTES)}`,
          );
        const document = await insertDocument(
          tx,
          {
            applicationId: application.id,
            kind: upload.kind,
            fileName: plainFileName(upload.fileName),
            mediaType,
            sizeBytes: bytes,
          },
          upload.path,
        );
        // The scanner sees the content before the commit; anything but clean rolls it all back.
        const verdict = await deps.scanner.scan(createReadStream(upload.path));
        if (verdict !== 'clean')
          throw new AppError('DOCUMENT_REFUSED', 422, `applications.document.scan.${verdict}`, {
            details: { applicationId: application.id },
          });
        const round = await deps.roundOf(tx, application.roundId);
        await recordAudit(tx, applicantActor(round.municipalityCode), {
          entity: 'application_document',
          entityId: document.id,
          action: 'application_document_added',
          after: { applicationId: application.id, kind: document.kind, mediaType, sizeBytes: document.sizeBytes },
        });
        return document;
      });
    },

    /** A document of the application the link leads to, and its content as pieces; 404 otherwise. */
    async openDocument(token: string, documentId: number) {
      const application = await applicationByLink(db, linkHash(token));
      const document = application && (await findDocument(db, application.id, documentId));
      if (!document) throw notFound('application_document', documentId);
      return { document, content: documentContent(db, document.id) };
    },
  };
}
