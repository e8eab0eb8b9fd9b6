/**
 * An application's documents: added through its link, checked and seen by the virus-scanner hook,
 * then stored in the database in pieces with the document's row in one transaction, and served
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

  /**
   * The application the link leads to, if it takes this kind of document now: a report's documents
   * while it takes a report, its own while its round is open. 404 for an unknown link, 409 otherwise.
   */
  async function openApplication(on: Queryable, token: string, kind: UploadedDocument['kind'], lock = false) {
    const application = await applicationByLink(on, linkHash(token), lock);
    if (!application) throw notFound('application', 'link');
    if (isReportDocumentKind(kind)) {
      if (!reportTakesSubmission(application, await latestReport(on, application.id)))
        throw new AppError('REPORT_NOT_OPEN', 409, 'applications.report.notOpen');
    } else deps.assertTakesApplications(await deps.roundOf(on, application.roundId));
    return application;
  }

  /** The file's size and type by its content: 400 when empty, 413 beyond 10 MB, 415 for another type. */
  async function fileChecks(path: string) {
    const bytes = (await stat(path)).size;
    if (bytes <= 0) throw new AppError('DOCUMENT_EMPTY', 400, 'applications.document.empty');
    if (bytes > DOCUMENT_MAX_BYTES)
      throw new AppError(
        'DOCUMENT_TOO_LARGE',
        413,
        `applications.document.tooLarge?max=${megabytes(DOCUMENT_MAX_BYTES)}`,
      );
    const mediaType = await detectDocumentType(path);
    if (!mediaType) throw new AppError('DOCUMENT_TYPE_REFUSED', 415, 'applications.document.type');
    return { bytes, mediaType };
  }

  /** 413 when the application's documents would pass 30 MB with these bytes. */
  async function assertRoomFor(on: Queryable, applicationId: number, bytes: number) {
    const held = await documentBytesOf(on, applicationId);
    if (held + bytes > APPLICATION_DOCUMENTS_MAX_BYTES)
      throw new AppError(
        'DOCUMENTS_TOO_LARGE',
        413,
        `applications.document.applicationFull?max=${megabytes(APPLICATION_DOCUMENTS_MAX_BYTES)}`,
      );
  }
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
      // Everything is checked, and the file scanned, before a connection is held for the writing: a
      // scan of 10 MB may take seconds, and the pool has few connections (DATABASE_POOL_MAX).
      const open = await openApplication(db, token, upload.kind);
      const { bytes, mediaType } = await fileChecks(upload.path);
      await assertRoomFor(db, open.id, bytes);
      // The scanner sees the content before anything is written; anything but clean writes nothing.
      const verdict = await deps.scanner.scan(createReadStream(upload.path));
      if (verdict !== 'clean')
        throw new AppError('DOCUMENT_REFUSED', 422, `applications.document.scan.${verdict}`, {
          details: { applicationId: open.id },
        });
      return db.transaction(async (tx) => {
        // Asked again with the row locked: the round may have closed meanwhile, and two uploads at
        // once cannot pass the application's limit together.
        const application = await openApplication(tx, token, upload.kind, true);
        await assertRoomFor(tx, application.id, bytes);
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
