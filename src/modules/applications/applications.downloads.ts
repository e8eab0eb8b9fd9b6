import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * How an application's document is served, to the applicant through the link
 * (applications.documents.routes.ts) and to the municipality's staff (applications.reports.routes.ts).
 */

/** A download's name: plain ASCII for old readers, and the name itself in UTF-8 (RFC 6266). */
function contentDisposition(fileName: string): string {
  const ascii = fileName.normalize('NFKD').replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** A document as a download that no browser renders or sniffs, streamed a piece at a time. */
export function sendDocument(
  reply: FastifyReply,
  document: { mediaType: string; sizeBytes: number; fileName: string },
  content: AsyncIterable<Buffer>,
) {
  return reply
    .header('Content-Type', document.mediaType)
    .header('Content-Length', String(document.sizeBytes))
    .header('Content-Disposition', contentDisposition(document.fileName))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', 'sandbox')
    .send(Readable.from(content));
}
