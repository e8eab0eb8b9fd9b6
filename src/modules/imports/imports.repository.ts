import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { importChunks, imports } from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';

export type ImportMeta = typeof imports.$inferSelect;

export async function insertImport(db: Queryable, values: typeof imports.$inferInsert): Promise<ImportMeta> {
  const [row] = await db.insert(imports).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** An import; with lock, the row stays locked until the transaction ends. */
export async function findImport(
  db: Queryable,
  id: number,
  lock?: 'update' | 'skip locked',
): Promise<ImportMeta | undefined> {
  const q = db.select().from(imports).where(eq(imports.id, id));
  const [row] =
    lock === 'update'
      ? await q.for('update')
      : lock === 'skip locked'
        ? await q.for('update', { skipLocked: true })
        : await q;
  return row;
}

export async function updateImport(
  db: Queryable,
  id: number,
  values: Partial<typeof imports.$inferInsert>,
  version?: number,
): Promise<ImportMeta | undefined> {
  const [row] = await db
    .update(imports)
    .set({ ...values, ...nextVersionNow(imports) })
    .where(version === undefined ? eq(imports.id, id) : and(eq(imports.id, id), eq(imports.version, version)))
    .returning();
  return row;
}

/** An import written: done, as of the database's clock. */
export async function markImportDone(
  db: Queryable,
  id: number,
  values: Pick<typeof imports.$inferInsert, 'sample' | 'summary' | 'createdCount' | 'updatedCount' | 'skippedCount'>,
): Promise<void> {
  await db
    .update(imports)
    .set({
      ...values,
      status: 'done',
      finishedAt: sql`now()`,
      ...nextVersionNow(imports),
    })
    .where(eq(imports.id, id));
}

/**
 * Bytes of the file per row of import_chunks. A bytea travels as hex text, and postgres.js joins a
 * row's network pieces into one buffer as they arrive, so a row's cost in short-lived buffers grows
 * with the square of its size: at 1 MB a row, storing and reading back a file left 50 to 70 MB of
 * them at once.
 */
const CHUNK = 256 * 1024;
/** Rows of import_chunks read back per statement. */
const CHUNKS_PER_READ = 4;

/** Stores the file at path as the import's, a piece per statement. */
export async function storeImportFile(db: Queryable, id: number, path: string): Promise<void> {
  let seq = 0;
  for await (const piece of createReadStream(path, { highWaterMark: CHUNK })) {
    await db.insert(importChunks).values({ importId: id, seq: seq++, data: piece as Buffer });
  }
}

/**
 * Writes the import's stored file to path, a few pieces at a time; false when it has none. A write
 * that fails (a full disk) rejects, and the part written is removed.
 */
export async function writeImportFile(db: Queryable, id: number, path: string): Promise<boolean> {
  let any = false;
  async function* pieces() {
    let next = 0;
    for (;;) {
      const rows = await db
        .select({ seq: importChunks.seq, data: importChunks.data })
        .from(importChunks)
        .where(and(eq(importChunks.importId, id), sql`${importChunks.seq} >= ${next}`))
        .orderBy(importChunks.seq)
        .limit(CHUNKS_PER_READ);
      for (const p of rows) {
        any = true;
        yield p.data;
      }
      if (rows.length < CHUNKS_PER_READ) return;
      next = (rows.at(-1)?.seq ?? 0) + 1;
    }
  }
  try {
    // The stream's errors reject here, whenever they come (also while a query is awaited).
    await pipeline(pieces, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return any;
}

/** The file is not kept once the import is done. */
export async function dropImportFile(db: Queryable, id: number): Promise<void> {
  await db.delete(importChunks).where(eq(importChunks.importId, id));
}

/** A queued import that failed: only while it is still queued (a retry or a finished run wins). */
export async function failImport(db: Queryable, id: number, problems: unknown[]): Promise<void> {
  await db
    .update(imports)
    .set({ status: 'failed', problems, ...nextVersionNow(imports) })
    .where(and(eq(imports.id, id), eq(imports.status, 'queued')));
}

export async function listImports(db: Queryable, municipalityCode: number, limit = 50): Promise<ImportMeta[]> {
  return db
    .select()
    .from(imports)
    .where(eq(imports.municipalityCode, municipalityCode))
    .orderBy(desc(imports.createdAt), desc(imports.id))
    .limit(limit);
}

export async function queuedImportIds(db: Queryable): Promise<number[]> {
  const rows = await db
    .select({ id: imports.id })
    .from(imports)
    .where(eq(imports.status, 'queued'))
    .orderBy(imports.id);
  return rows.map((r) => r.id);
}

/**
 * A large file is written in one transaction: its statements may take longer than a page's, and the
 * work between two of them may pause longer than a page's transaction may stand idle.
 */
export async function allowLongStatements(tx: Queryable): Promise<void> {
  await tx.execute(sql`set local statement_timeout = '10min'`);
  await tx.execute(sql`set local idle_in_transaction_session_timeout = '10min'`);
}

/** One import of a municipality is written at a time: held until the transaction ends. */
export async function lockMunicipalityImports(tx: Queryable, lock: number, municipalityCode: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${lock}, ${municipalityCode}::int)`);
}
