import { createReadStream } from 'node:fs';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { applicationDocumentChunks, applicationDocuments } from '../../db/schema/index.ts';

export type DocumentRow = typeof applicationDocuments.$inferSelect;

/**
 * Bytes per row of application_document_chunks: a bytea travels as hex text, and a row's cost in
 * short-lived buffers grows faster than its size (see imports.repository.ts), so pieces stay small.
 */
const DOCUMENT_CHUNK_BYTES = 256 * 1024;

export async function documentsOf(db: Queryable, applicationId: number): Promise<DocumentRow[]> {
  return db
    .select()
    .from(applicationDocuments)
    .where(eq(applicationDocuments.applicationId, applicationId))
    .orderBy(asc(applicationDocuments.id));
}

/** The bytes an application's documents hold together. */
export async function documentBytesOf(db: Queryable, applicationId: number): Promise<number> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${applicationDocuments.sizeBytes}), 0)` })
    .from(applicationDocuments)
    .where(eq(applicationDocuments.applicationId, applicationId));
  return Number(row?.total ?? 0);
}

/** Writes the document's row and its content, read from the file at path a piece per statement. */
export async function insertDocument(
  db: Queryable,
  values: Omit<typeof applicationDocuments.$inferInsert, 'id' | 'createdAt'>,
  path: string,
): Promise<DocumentRow> {
  const [row] = await db.insert(applicationDocuments).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  let n = 0;
  for await (const piece of createReadStream(path, { highWaterMark: DOCUMENT_CHUNK_BYTES })) {
    await db.insert(applicationDocumentChunks).values({ documentId: row.id, n: n++, data: piece as Buffer });
  }
  return row;
}

export async function findDocument(
  db: Queryable,
  applicationId: number,
  documentId: number,
): Promise<DocumentRow | undefined> {
  const [row] = await db
    .select()
    .from(applicationDocuments)
    .where(and(eq(applicationDocuments.id, documentId), eq(applicationDocuments.applicationId, applicationId)));
  return row;
}

/** A document's content, one piece per statement, in order: never the whole file at once. */
export async function* documentContent(db: Queryable, documentId: number): AsyncGenerator<Buffer> {
  for (let n = 0; ; n++) {
    const [piece] = await db
      .select({ data: applicationDocumentChunks.data })
      .from(applicationDocumentChunks)
      .where(and(eq(applicationDocumentChunks.documentId, documentId), eq(applicationDocumentChunks.n, n)));
    if (!piece) return;
    yield piece.data;
  }
}
