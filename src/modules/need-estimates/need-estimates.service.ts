import type { Db } from '../../db/client.ts';
import { AppError, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { fold, type Table } from '../../lib/upload.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import type { TargetGroupService } from '../target-groups/target-groups.service.ts';
import {
  deleteEstimate,
  estimableGroupIds,
  estimatesOf,
  lockYear,
  type NeedEstimateRow,
  replaceEstimates,
  upsertEstimate,
} from './need-estimates.repository.ts';
import type { NeedEstimate, NeedEstimateCell, NeedEstimateInput } from './need-estimates.schemas.ts';

const toEstimate = (r: NeedEstimateRow): NeedEstimate => ({
  municipalityCode: r.municipalityCode,
  targetGroupId: r.targetGroupId,
  year: r.year,
  people: r.people,
  source: r.source,
  note: r.note,
  version: r.version,
});

/** A row's problem, by its line in the file (the header is line 1). */
export interface ImportProblem {
  line: number;
  message: string;
  params?: Record<string, string | number>;
}

/** Problems listed at most: the reading stops there. */
const MAX_PROBLEMS = 100;

const HEADERS = {
  group: ['målgruppe', 'maalgruppe', 'målgruppe-id', 'target group', 'targetgroupid', 'target_group_id', 'ffb', 'id'],
  people: ['antal', 'antal personer', 'personer', 'people', 'behov', 'need'],
  source: ['kilde', 'source'],
  note: ['note', 'bemærkning', 'bemaerkning', 'comment'],
};

/** Danish whole numbers as people type them: 1.200, 1 200 or 1200. */
export function parsePeople(raw: string): number | undefined {
  const s = raw.trim().replace(/[\s\u00a0]/g, '');
  if (!/^\d{1,3}(\.\d{3})*$|^\d+$/.test(s)) return undefined;
  const n = Number(s.replaceAll('.', ''));
  return Number.isSafeInteger(n) && n <= 10_000_000 ? n : undefined;
}

export function createNeedEstimateService(db: Db, targetGroups: TargetGroupService) {
  /** Every row must name a group the municipality may estimate, once. */
  async function checkGroups(municipalityCode: number, ids: number[]) {
    if (new Set(ids).size !== ids.length) throw validationFailed({ targetGroupId: ['needs.duplicateGroup'] });
    const allowed = await estimableGroupIds(db, municipalityCode);
    if (ids.some((id) => !allowed.has(id))) throw validationFailed({ targetGroupId: ['needs.unknownGroup'] });
  }

  const service = {
    async list(municipalityCode: number, year: number): Promise<NeedEstimate[]> {
      return (await estimatesOf(db, municipalityCode, year)).map(toEstimate);
    },

    /** Replaces the municipality's estimates for the year with these (the API's PUT). */
    async replace(
      principal: Principal,
      municipalityCode: number,
      year: number,
      rows: NeedEstimateInput[],
    ): Promise<NeedEstimate[]> {
      assertMayWrite(principal, 'needEstimates', municipalityCode);
      if (rows.some((r) => (r.municipalityCode ?? municipalityCode) !== municipalityCode || (r.year ?? year) !== year))
        throw validationFailed({ _: ['needs.scopeMismatch'] });
      await checkGroups(
        municipalityCode,
        rows.map((r) => r.targetGroupId),
      );
      await db.transaction(async (tx) => {
        await lockYear(tx, municipalityCode, year);
        const before = (await estimatesOf(tx, municipalityCode, year)).map(toEstimate);
        await replaceEstimates(
          tx,
          municipalityCode,
          year,
          rows.map((r) => ({
            targetGroupId: r.targetGroupId,
            people: r.people,
            source: r.source ?? null,
            note: r.note ?? null,
          })),
        );
        const after = (await estimatesOf(tx, municipalityCode, year)).map(toEstimate);
        await recordAudit(tx, principal, {
          entity: 'need_estimates',
          entityId: `${municipalityCode}/${year}`,
          action: 'replace',
          before,
          after,
        });
      });
      return service.list(municipalityCode, year);
    },

    /** One cell of the grid: sets, changes (with the version read) or removes an estimate. */
    async setCell(
      principal: Principal,
      municipalityCode: number,
      year: number,
      cell: NeedEstimateCell,
    ): Promise<NeedEstimate | null> {
      assertMayWrite(principal, 'needEstimates', municipalityCode);
      await checkGroups(municipalityCode, [cell.targetGroupId]);
      return db.transaction(async (tx) => {
        await lockYear(tx, municipalityCode, year);
        const existing = (await estimatesOf(tx, municipalityCode, year)).find(
          (e) => e.targetGroupId === cell.targetGroupId,
        );
        const before = existing ? toEstimate(existing) : null;
        if (before && cell.version !== undefined && cell.version !== before.version)
          throw staleVersion('need_estimate', before);
        if (!before && cell.version !== undefined) throw staleVersion('need_estimate', null);
        const entityId = `${municipalityCode}/${year}/${cell.targetGroupId}`;
        if (cell.people === null || cell.people === undefined) {
          if (!before) return null;
          await deleteEstimate(tx, municipalityCode, year, cell.targetGroupId);
          await recordAudit(tx, principal, { entity: 'need_estimate', entityId, action: 'delete', before });
          return null;
        }
        const row = await upsertEstimate(tx, {
          municipalityCode,
          year,
          targetGroupId: cell.targetGroupId,
          people: cell.people,
          source: cell.source ?? null,
        });
        const after = toEstimate(row);
        await recordAudit(tx, principal, {
          entity: 'need_estimate',
          entityId,
          action: before ? 'update' : 'create',
          before,
          after,
        });
        return after;
      });
    },

    /** Copies last year's estimates into the year, for the groups that have none yet. */
    async copyFromLastYear(principal: Principal, municipalityCode: number, year: number): Promise<number> {
      assertMayWrite(principal, 'needEstimates', municipalityCode);
      return db.transaction(async (tx) => {
        await lockYear(tx, municipalityCode, year);
        const [last, current] = await Promise.all([
          estimatesOf(tx, municipalityCode, year - 1),
          estimatesOf(tx, municipalityCode, year),
        ]);
        const have = new Set(current.map((e) => e.targetGroupId));
        const copied = last.filter((e) => !have.has(e.targetGroupId));
        if (!copied.length) return 0;
        const before = current.map(toEstimate);
        await replaceEstimates(tx, municipalityCode, year, [
          ...current.map((e) => ({ targetGroupId: e.targetGroupId, people: e.people, source: e.source, note: e.note })),
          ...copied.map((e) => ({ targetGroupId: e.targetGroupId, people: e.people, source: e.source, note: e.note })),
        ]);
        const after = (await estimatesOf(tx, municipalityCode, year)).map(toEstimate);
        await recordAudit(tx, principal, {
          entity: 'need_estimates',
          entityId: `${municipalityCode}/${year}`,
          action: 'copy',
          before,
          after,
        });
        return copied.length;
      });
    },

    /**
     * Imports estimates from an uploaded table (a CSV or XLSX file as the shared reader reads it; a
     * group by id, FFB code or name; Danish whole numbers). All or nothing: one bad line and nothing
     * is saved. Groups in the file replace their estimates; groups not in it keep theirs.
     */
    async importTable(
      principal: Principal,
      municipalityCode: number,
      year: number,
      table: Table,
    ): Promise<{ imported: number }> {
      assertMayWrite(principal, 'needEstimates', municipalityCode);
      const problems: ImportProblem[] = [];
      const columns = table.header.map(fold);
      const find = (names: string[]) => columns.findIndex((c) => names.map(fold).includes(c));
      const col = { group: find(HEADERS.group), people: find(HEADERS.people), source: find(HEADERS.source) };
      const note = find(HEADERS.note);
      if (col.group < 0 || col.people < 0)
        throw new AppError('IMPORT_INVALID', 400, 'needs.import.columns', {
          details: { problems: [{ line: 1, message: 'needs.import.columns' }] },
        });
      const groups = (await targetGroups.list(municipalityCode)).filter(
        (g) => g.municipalityCode === null || g.municipalityCode === municipalityCode,
      );
      const byKey = new Map<string, number>();
      for (const g of groups) {
        byKey.set(String(g.id), g.id);
        if (g.ffbCode) byKey.set(g.ffbCode.toLowerCase(), g.id);
        byKey.set(g.nameDa.trim().toLowerCase(), g.id);
      }
      const rows: { targetGroupId: number; people: number; source: string | null; note: string | null }[] = [];
      // Blank rows are skipped by the reader; a row's line is its line in the file.
      await table.forEachRow((cells, line) => {
        const key = (cells[col.group] ?? '').trim().toLowerCase();
        const groupId = byKey.get(key);
        const people = parsePeople(cells[col.people] ?? '');
        if (groupId === undefined)
          problems.push({ line, message: 'needs.import.unknownGroup', params: { value: cells[col.group] ?? '' } });
        if (people === undefined)
          problems.push({ line, message: 'needs.import.badNumber', params: { value: cells[col.people] ?? '' } });
        if (groupId !== undefined && rows.some((r) => r.targetGroupId === groupId))
          problems.push({ line, message: 'needs.import.duplicate', params: { value: cells[col.group] ?? '' } });
        else if (groupId !== undefined && people !== undefined)
          rows.push({
            targetGroupId: groupId,
            people,
            source: col.source >= 0 ? (cells[col.source] ?? '').trim().slice(0, 500) || null : null,
            note: note >= 0 ? (cells[note] ?? '').trim().slice(0, 2000) || null : null,
          });
        // Enough to correct: a file of a million bad lines is not listed whole.
        return problems.length < MAX_PROBLEMS;
      });
      if (!rows.length && !problems.length) problems.push({ line: 1, message: 'needs.import.empty' });
      if (problems.length) throw new AppError('IMPORT_INVALID', 400, 'needs.import.invalid', { details: { problems } });
      await db.transaction(async (tx) => {
        await lockYear(tx, municipalityCode, year);
        const current = await estimatesOf(tx, municipalityCode, year);
        const before = current.map(toEstimate);
        const imported = new Set(rows.map((r) => r.targetGroupId));
        await replaceEstimates(tx, municipalityCode, year, [
          ...current
            .filter((e) => !imported.has(e.targetGroupId))
            .map((e) => ({ targetGroupId: e.targetGroupId, people: e.people, source: e.source, note: e.note })),
          ...rows,
        ]);
        const after = (await estimatesOf(tx, municipalityCode, year)).map(toEstimate);
        await recordAudit(tx, principal, {
          entity: 'need_estimates',
          entityId: `${municipalityCode}/${year}`,
          action: 'import',
          before,
          after,
        });
      });
      return { imported: rows.length };
    },
  };
  return service;
}

export type NeedEstimateService = ReturnType<typeof createNeedEstimateService>;
