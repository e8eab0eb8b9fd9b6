import { rm, stat } from 'node:fs/promises';
import type { Database, Queryable } from '../../db/client.ts';
import { unguardedCell } from '../../lib/csv.ts';
import { AppError, notFound, staleVersion } from '../../lib/errors.ts';
import { AccessDenied, assertMayOverrideBudget, mayWrite, type WriteArea } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { readTableFile } from '../../lib/table-reader.ts';
import { fold, sampleRows, type Table, UPLOAD_LIMITS, uploadPath } from '../../lib/upload.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import { type MunicipalityFinder, planActors } from './imports.actor-list.ts';
import { planGrants } from './imports.grant-plan.ts';
import { invalidPlan } from './imports.plan.ts';
import {
  allowLongStatements,
  dropImportFile,
  failImport,
  findImport,
  type ImportMeta,
  insertImport,
  listImports,
  lockMunicipalityImports,
  markImportDone,
  queuedImportIds,
  storeImportFile,
  updateImport,
  writeImportFile,
} from './imports.repository.ts';
import { mappingProblems } from './imports.rows.ts';
import {
  type ActorChoices,
  guessMapping,
  type Import,
  type ImportKind,
  type ImportMapping,
  type ImportProblem,
  type ImportSummary,
  importMapping,
} from './imports.schemas.ts';

const areaOf = (kind: ImportKind): WriteArea => (kind === 'grants' ? 'grants' : 'actors');
/** Rows shown beside the columns while they are mapped. */
const SAMPLE_COLUMNS = 3;
/**
 * The advisory lock (with the municipality's code) that the writing of an import holds: imports of
 * one municipality are written one after the other, each matching against what the last wrote.
 */
const IMPORT_LOCK = 18_042;

/** What the running import has written so far (in its own transaction, so only it knows). */
export interface Progress {
  processed: number;
  total: number;
}

export function createImportService(database: Database, municipalities: MunicipalityService) {
  const { db } = database;
  const running = new Map<number, Progress>();
  /**
   * A seam for tests: runs in the import's transaction between reading what is registered and
   * writing, where another user's change would land.
   */
  const hooks: { afterPlan?: (tx: Queryable, importId: number) => Promise<void> } = {};

  function toImport(row: ImportMeta): Import {
    const problems = (row.problems as ImportProblem[] | null) ?? [];
    return {
      id: row.id,
      municipalityCode: row.municipalityCode,
      kind: row.kind,
      status: row.status,
      fileName: row.fileName,
      header: row.header,
      sample: row.sample,
      mapping: (row.mapping as ImportMapping | null) ?? null,
      rowCount: row.rowCount,
      processedRows: running.get(row.id)?.processed ?? (row.status === 'done' ? row.rowCount : 0),
      createdCount: row.createdCount,
      updatedCount: row.updatedCount,
      skippedCount: row.skippedCount,
      summary: (row.summary as ImportSummary | null) ?? null,
      problems: problems.slice(0, 200),
      problemCount: problems.length,
      version: row.version,
      createdAt: row.createdAt,
      finishedAt: row.finishedAt,
    };
  }

  /** The import, for a user who may write what it imports in its municipality. */
  /** A commit refused: the import as a GET shows it now, and its status, go with the 409. */
  const notCommitted = (code: string, key: string, row: ImportMeta) =>
    new AppError(code, 409, key, { details: { status: row.status, current: toImport(row) } });

  async function loadFor(principal: Principal, id: number): Promise<ImportMeta> {
    const row = await findImport(db, id);
    if (!row) throw notFound('import', id);
    if (!mayWrite(principal, areaOf(row.kind), row.municipalityCode))
      throw new AccessDenied(areaOf(row.kind), row.municipalityCode);
    return row;
  }

  /** Reads the import's stored file (written to a temporary file for the reader) as a table for fn. */
  async function withStoredTable<T>(on: Queryable, id: number, fn: (table: Table) => Promise<T>): Promise<T> {
    const path = await uploadPath();
    try {
      if (!(await writeImportFile(on, id, path))) throw new AppError('IMPORT_GONE', 409, 'import.gone');
      return await fn(await readTableFile(path, service.limits));
    } finally {
      await rm(path, { force: true });
    }
  }

  async function municipalityFinder(): Promise<MunicipalityFinder> {
    const all = await municipalities.all();
    const by = new Map<string, number>();
    for (const m of all) {
      by.set(String(m.code), m.code);
      by.set(fold(m.name), m.code);
      by.set(fold(`${m.name} kommune`), m.code);
    }
    return (s: string) => by.get(fold(s));
  }

  /** Checks every row; writing, in the writer's transaction, with the rounds it awards in locked. */
  async function plan(
    on: Queryable,
    row: ImportMeta,
    table: Table,
    mapping: ImportMapping,
    choices: ActorChoices,
    findMunicipality: MunicipalityFinder,
    writing = false,
  ) {
    const problems = mappingProblems(row.kind, table, mapping);
    if (problems.length) return invalidPlan(problems);
    if (!table.rowCount) return invalidPlan([{ line: 0, message: 'import.file.noRows' }]);
    return row.kind === 'grants'
      ? planGrants(on, row, table, mapping, choices, writing)
      : planActors(on, row, table, mapping, choices, findMunicipality);
  }

  /** Writes a plan's result to the import: invalid with its problems, or ready with its summary. */
  async function saveCheck(
    principal: Principal,
    id: number,
    version: number,
    mapping: ImportMapping,
    choices: ActorChoices,
    /** Queue it too, or change nothing if it is not then ready with every match confirmed. */
    queue = false,
  ) {
    const row = await loadFor(principal, id);
    const findMunicipality = await municipalityFinder();
    const { result, rowCount } = await withStoredTable(db, id, async (table) => ({
      result: await plan(db, row, table, mapping, choices, findMunicipality),
      rowCount: table.rowCount,
    }));
    if (queue && result.problems.length) throw notCommitted('IMPORT_NOT_READY', 'import.notReady', row);
    if (queue && result.summary.matches.some((m) => m.choice === null))
      throw notCommitted('IMPORT_UNCONFIRMED', 'import.unconfirmed', row);
    const saved = await db.transaction(async (tx) => {
      const updated = await updateImport(
        tx,
        id,
        {
          mapping,
          actorChoices: choices,
          status: queue ? 'queued' : result.problems.length ? 'invalid' : 'ready',
          problems: result.problems,
          summary: result.problems.length ? null : result.summary,
          rowCount,
        },
        version,
      );
      if (!updated) throw staleVersion('import', toImport(row));
      await recordAudit(tx, principal, {
        entity: 'import',
        entityId: id,
        action: 'check',
        after: { mapping, status: updated.status, problems: result.problems.length },
      });
      if (queue) await recordAudit(tx, principal, { entity: 'import', entityId: id, action: 'commit' });
      return updated;
    });
    return toImport(saved);
  }

  const service = {
    running,
    hooks,
    /** What an upload may be (a seam for tests too). */
    limits: { ...UPLOAD_LIMITS },

    async list(principal: Principal): Promise<Import[]> {
      if (principal.municipalityCode === null) return [];
      const rows = await listImports(db, principal.municipalityCode);
      return rows.filter((r) => mayWrite(principal, areaOf(r.kind), r.municipalityCode)).map(toImport);
    },

    async get(principal: Principal, id: number): Promise<Import> {
      return toImport(await loadFor(principal, id));
    },

    /**
     * Reads the file uploaded to path (refusing what is not a readable CSV or XLSX, or passes a
     * limit), stores it and guesses its columns. Nothing is stored of a file refused.
     */
    async upload(principal: Principal, input: { kind: ImportKind; fileName: string; path: string }): Promise<Import> {
      const municipalityCode = principal.municipalityCode;
      if (municipalityCode === null || !mayWrite(principal, areaOf(input.kind), municipalityCode))
        throw new AccessDenied(areaOf(input.kind), municipalityCode);
      const table = await readTableFile(input.path, service.limits);
      // Shown as the rows will be read: without the formula guard's apostrophe.
      const sample = (await sampleRows(table, SAMPLE_COLUMNS)).map((cells) =>
        cells.map((c) => (unguardedCell(c) ?? c).slice(0, 200)),
      );
      const bytes = (await stat(input.path)).size;
      const row = await db.transaction(async (tx) => {
        await allowLongStatements(tx);
        const created = await insertImport(tx, {
          municipalityCode,
          kind: input.kind,
          fileName: input.fileName.slice(0, 200) || 'upload',
          header: table.header,
          sample,
          mapping: { columns: guessMapping(input.kind, table.header) },
          rowCount: table.rowCount,
          createdBy: principal.userId,
        });
        await storeImportFile(tx, created.id, input.path);
        await recordAudit(tx, principal, {
          entity: 'import',
          entityId: created.id,
          action: 'upload',
          after: { kind: input.kind, fileName: created.fileName, rows: table.rowCount, bytes },
        });
        return created;
      });
      return toImport(row);
    },

    /** Sets the columns (and choices of actors) and checks every row: invalid or ready. Writes no data. */
    async check(
      principal: Principal,
      id: number,
      input: { mapping?: ImportMapping; actorChoices?: ActorChoices; version?: number },
    ): Promise<Import> {
      const row = await loadFor(principal, id);
      if (!['uploaded', 'invalid', 'ready'].includes(row.status))
        throw new AppError('IMPORT_STARTED', 409, 'import.started', { details: { status: row.status } });
      const mapping = importMapping.parse(input.mapping ?? row.mapping ?? { columns: {} });
      if (mapping.overrideBudget) assertMayOverrideBudget(principal, row.municipalityCode);
      const choices = { ...((row.actorChoices as ActorChoices | null) ?? {}), ...(input.actorChoices ?? {}) };
      return saveCheck(principal, id, input.version ?? row.version, mapping, choices);
    },

    /**
     * Sets the choices of actors and queues the import in one step: refused (409, the import as it
     * was, its version too) unless the file is then ready with every match confirmed.
     */
    async confirm(principal: Principal, id: number, version: number, actorChoices: ActorChoices): Promise<Import> {
      const row = await loadFor(principal, id);
      if (row.status !== 'ready') throw notCommitted('IMPORT_NOT_READY', 'import.notReady', row);
      if (row.version !== version) throw staleVersion('import', toImport(row));
      const mapping = importMapping.parse(row.mapping ?? { columns: {} });
      if (mapping.overrideBudget) assertMayOverrideBudget(principal, row.municipalityCode);
      const choices = { ...((row.actorChoices as ActorChoices | null) ?? {}), ...actorChoices };
      return saveCheck(principal, id, version, mapping, choices, true);
    },

    /** Queues a ready import for the runner; it writes everything or nothing. */
    async commit(principal: Principal, id: number, version: number): Promise<Import> {
      const row = await loadFor(principal, id);
      if (row.status !== 'ready') throw notCommitted('IMPORT_NOT_READY', 'import.notReady', row);
      if ((row.summary as ImportSummary | null)?.matches.some((m) => m.choice === null))
        throw notCommitted('IMPORT_UNCONFIRMED', 'import.unconfirmed', row);
      // Finance's override of a round's budget is given by whoever writes the import, too.
      if (importMapping.safeParse(row.mapping).data?.overrideBudget)
        assertMayOverrideBudget(principal, row.municipalityCode);
      const updated = await db.transaction(async (tx) => {
        const u = await updateImport(tx, id, { status: 'queued' }, version);
        if (!u) throw staleVersion('import', toImport(row));
        await recordAudit(tx, principal, { entity: 'import', entityId: id, action: 'commit' });
        return u;
      });
      return toImport(updated);
    },

    /** A failed import is queued again (its file is kept until it is done). */
    async retry(principal: Principal, id: number, version: number): Promise<Import> {
      const row = await loadFor(principal, id);
      if (row.status !== 'failed') throw new AppError('IMPORT_NOT_FAILED', 409, 'import.notFailed');
      const updated = await db.transaction(async (tx) => {
        const u = await updateImport(tx, id, { status: 'queued', problems: [] }, version);
        if (!u) throw staleVersion('import', toImport(row));
        await recordAudit(tx, principal, { entity: 'import', entityId: id, action: 'retry' });
        return u;
      });
      return toImport(updated);
    },

    /** Every problem of an invalid import, for the error CSV. */
    async allProblems(principal: Principal, id: number): Promise<ImportProblem[]> {
      return ((await loadFor(principal, id)).problems as ImportProblem[] | null) ?? [];
    },

    queued: () => queuedImportIds(db),

    /**
     * Writes one queued import, all of it in one transaction, holding its row locked so no other
     * process runs it too. A crash rolls it all back and leaves it queued, to be run again.
     */
    async run(id: number): Promise<'done' | 'invalid' | 'skipped'> {
      // Reference data is read first: inside the transaction it would need a second connection.
      const findMunicipality = await municipalityFinder();
      return db
        .transaction(async (tx) => {
          const found = await findImport(tx, id, 'skip locked');
          if (found?.status !== 'queued') return 'skipped' as const;
          await allowLongStatements(tx);
          // One import of a municipality at a time: the next one matches against what this one wrote.
          await lockMunicipalityImports(tx, IMPORT_LOCK, found.municipalityCode);
          const row = await findImport(tx, id);
          if (row?.status !== 'queued') return 'skipped' as const;
          const principal: Principal = {
            userId: row.createdBy,
            municipalityCode: row.municipalityCode,
            role: 'admin',
          };
          // The file is read as the rows are written: it is kept on disk until then.
          const outcome = await withStoredTable(tx, id, async (table) => {
            const total = table.rowCount;
            running.set(id, { processed: 0, total });
            const result = await plan(
              tx,
              row,
              table,
              importMapping.parse(row.mapping),
              (row.actorChoices as ActorChoices | null) ?? {},
              findMunicipality,
              true,
            );
            if (result.problems.length || result.unresolved) {
              // What was checked no longer holds (someone registered an actor meanwhile): check again.
              await updateImport(tx, id, {
                status: result.problems.length ? 'invalid' : 'ready',
                problems: result.problems,
                summary: result.summary,
              });
              return null;
            }
            await hooks.afterPlan?.(tx, id);
            await result.write(tx, principal, id, (n) => running.set(id, { processed: n, total }));
            return result;
          });
          if (!outcome) return 'invalid' as const;
          const result = outcome;
          // The file and the rows shown from it are not kept once it is imported.
          await dropImportFile(tx, id);
          await markImportDone(tx, id, {
            sample: [],
            summary: result.summary,
            createdCount: result.summary.created,
            updatedCount: result.summary.updated,
            skippedCount: result.summary.skipped + result.summary.skippedLocked,
          });
          await recordAudit(tx, principal, {
            entity: 'import',
            entityId: id,
            action: 'done',
            after: {
              created: result.summary.created,
              updated: result.summary.updated,
              skipped: result.summary.skipped,
              skippedLocked: result.summary.skippedLocked,
              ...(result.summary.roundsOverBudget ? { roundsOverBudget: result.summary.roundsOverBudget } : {}),
            },
          });
          return 'done' as const;
        })
        .finally(() => running.delete(id));
    },

    /**
     * Marks a queued import that could not be written (the runner logs why). A conflict with another
     * user's change says so; anything else is a plain failure.
     */
    async fail(id: number, err?: unknown): Promise<void> {
      const message = err instanceof AppError && err.code === 'IMPORT_CONFLICT' ? 'import.conflict' : 'import.failed';
      await failImport(db, id, [{ line: 0, message }]);
    },
  };
  return service;
}

export type ImportService = ReturnType<typeof createImportService>;
