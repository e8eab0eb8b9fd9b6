import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { DocumentRow } from './applications.documents.repository.ts';

/** A download's name: plain ASCII for old readers, and the name itself in UTF-8 (RFC 6266). */
function contentDisposition(fileName: string): string {
  const ascii = fileName.normalize('NFKD').replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Sends an application's document as a download that no browser renders (attachment, nosniff, a
 * sandboxing CSP), a piece at a time as the database gives it: never the whole file in memory. For
 * the applicant's link, the staff pages (the application's and its report's) and the API alike.
 */
export function sendDocument(reply: FastifyReply, document: DocumentRow, content: AsyncIterable<Buffer>) {
  return reply
    .header('Content-Type', document.mediaType)
    .header('Content-Length', String(document.sizeBytes))
    .header('Content-Disposition', contentDisposition(document.fileName))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', 'sandbox')
    .send(Readable.from(content));
}
