import { rm, stat } from 'node:fs/promises';
import type { Database, Queryable } from '../../db/client.ts';
import { unguardedCell } from '../../lib/csv.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion } from '../../lib/errors.ts';
import { IntMap } from '../../lib/int-set.ts';
import { MAX_OERE } from '../../lib/money.ts';
import { AccessDenied, assertMayOverrideBudget, mayWrite, type WriteArea } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { readTableFile } from '../../lib/table-reader.ts';
import { fold, sampleRows, type Table, UPLOAD_LIMITS, uploadPath } from '../../lib/upload.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { awardedByRound, lockRounds } from '../grants/grants.repository.ts';
import { countedAward, exceedsBudget, reportDueOf } from '../grants/grants.rules.ts';
import type { MunicipalityService } from '../municipalities/municipalities.service.ts';
import {
  type ActorPlan,
  actorMatches,
  compareGrants,
  forEachGrantRow,
  type GrantChange,
  groupFinder,
  MAX_PROBLEMS,
  mappingProblems,
  readActors,
  readGrants,
  resolveActors,
  resolveRounds,
} from './imports.plan.ts';
import {
  actorsByCvr,
  actorsByName,
  actorsToCompare,
  allowLongStatements,
  auditGrantUpdates,
  auditImportedRows,
  dropImportFile,
  failImport,
  findImport,
  grantsMatching,
  IMPORTED_ACTOR_COLUMNS,
  type ImportMeta,
  inSlices,
  insertActorRecords,
  insertGrantRecords,
  insertImport,
  insertImportedRound,
  listImports,
  lockMunicipalityImports,
  markImportDone,
  nextIds,
  queuedImportIds,
  type RoundRef,
  reallocateGrantRecords,
  roundsOf,
  similarActors,
  storeImportFile,
  targetGroupsOf,
  updateGrantRecords,
  updateImport,
  updateImportedActor,
  writeImportFile,
} from './imports.repository.ts';
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
/** A row the import would write was changed by someone else after the import read it. */
const importConflict = () => new AppError('IMPORT_CONFLICT', 409, 'import.conflict');
type SampleRow = NonNullable<ImportSummary['sample']>[number];
/** Rows shown in the preview. */
const SAMPLE = 10;
/** Rows shown beside the columns while they are mapped. */
const SAMPLE_COLUMNS = 3;
/** Rows written per statement. */
const SLICE = 5000;
/**
 * The advisory lock (with the municipality's code) that the writing of an import holds: imports of
 * one municipality are written one after the other, each matching against what the last wrote.
 */
const IMPORT_LOCK = 18_042;
/** A new actor from a grant list is registered as an association and an arena for inclusion. */
const NEW_ACTOR_DEFAULTS = { orgType: 'association', roles: ['inclusion_arena'] } as const;

/** What the running import has written so far (in its own transaction, so only it knows). */
export interface Progress {
  processed: number;
  total: number;
}

interface Plan {
  problems: ImportProblem[];
  summary: ImportSummary;
  unresolved: number;
  write: (tx: Queryable, principal: Principal, importId: number, progress: (n: number) => void) => Promise<void>;
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

  async function municipalityFinder() {
    const all = await municipalities.all();
    const by = new Map<string, number>();
    for (const m of all) {
      by.set(String(m.code), m.code);
      by.set(fold(m.name), m.code);
      by.set(fold(`${m.name} kommune`), m.code);
    }
    return (s: string) => by.get(fold(s));
  }

  async function lookupActors(on: Queryable, wanted: Map<string, { name: string; cvr: string | null }>) {
    const list = [...wanted.values()];
    const cvrs = list.flatMap((a) => (a.cvr ? [a.cvr] : []));
    const names = [...new Set(list.map((a) => a.name))];
    const byCvr = await actorsByCvr(database, on, cvrs);
    const byName = await actorsByName(database, on, names);
    // Only names without a CVR match or an exact one are looked up by similarity.
    const rest = [
      ...new Set(list.filter((a) => !(a.cvr && byCvr.has(a.cvr)) && !byName.has(a.name)).map((a) => a.name)),
    ];
    return { byCvr, byName, similar: await similarActors(database, on, rest) };
  }

  /** Registers the new actors of a plan set-wise; returns each plan key's actor id. */
  async function createActors(
    tx: Queryable,
    principal: Principal,
    municipalityCode: number,
    create: { key: string; name: string; cvr: string | null; fields?: Record<string, unknown> }[],
  ): Promise<Map<string, number>> {
    const ids = await nextIds(database, tx, 'actors_id_seq', create.length);
    const records = create.map((a, i) => ({
      id: ids[i],
      name: a.name,
      cvr: a.cvr,
      org_type: (a.fields?.orgType as string | undefined) ?? NEW_ACTOR_DEFAULTS.orgType,
      roles: `{${((a.fields?.roles as string[] | undefined) ?? NEW_ACTOR_DEFAULTS.roles).join(',')}}`,
      email: a.fields?.email ?? null,
      phone: a.fields?.phone ?? null,
      website: a.fields?.website ?? null,
      address: a.fields?.address ?? null,
      description: a.fields?.description ?? null,
      home: (a.fields?.homeMunicipalityCode as number | undefined) ?? municipalityCode,
    }));
    await inSlices(records, SLICE, (json) => insertActorRecords(tx, json));
    await inSlices(ids, SLICE, (_json, slice) => auditImportedRows(tx, principal, 'actors', slice));
    return new Map(create.map((a, i) => [a.key, ids[i] as number]));
  }

  async function planGrants(
    on: Queryable,
    row: ImportMeta,
    table: Table,
    mapping: ImportMapping,
    choices: ActorChoices,
    writing: boolean,
  ): Promise<Plan> {
    const groups = (await targetGroupsOf(database, on, row.municipalityCode)).map((g) => ({
      id: g.id,
      ffbCode: g.ffb_code,
      nameDa: g.name_da,
      nameEn: g.name_en,
    }));
    if (mapping.defaultTargetGroupId && !groups.some((g) => g.id === mapping.defaultTargetGroupId))
      return invalid([{ line: 0, column: 'targetGroup', message: 'import.unknownGroup' }]);
    const findGroup = groupFinder(groups);
    const read = await readGrants(table, mapping, findGroup);
    const existingRounds = await roundsOf(database, on, row.municipalityCode);
    const rounds = resolveRounds(read.rounds, existingRounds);
    const problems = [...read.problems];
    if (!problems.length && rounds.ambiguous.length) {
      const lines = rounds.ambiguous.flatMap((k) => read.roundLines.get(k) ?? []).sort((a, b) => a.line - b.line);
      for (const r of lines.slice(0, MAX_PROBLEMS))
        problems.push({
          line: r.line,
          column: 'roundName',
          message: 'import.roundAmbiguous',
          params: { year: r.year },
        });
    }
    if (!problems.length) {
      // A new round's budget is what the file awards in it, and no budget may pass MAX_OERE.
      for (const r of rounds.create) {
        const first = read.roundLines.get(r.key)?.[0];
        if (BigInt(read.budgets.get(r.key) ?? 0) > MAX_OERE && first)
          problems.push({
            line: first.line,
            column: mapping.columns.awarded ?? 'awarded',
            message: 'import.roundBudgetTooLarge',
            params: { year: r.year },
          });
      }
    }
    if (problems.length) return invalid(problems);
    const actors = resolveActors(read.actors, await lookupActors(on, read.actors), choices);
    const actorIds = new Map(actors.map((a) => [a.key, a.actorId]));
    const roundIds = new Map(rounds.ids);
    // The registered rounds of the file are locked while it is written, as the grant form locks the
    // round it awards in: their budgets are checked again here, and hold until the import commits.
    if (writing)
      await lockRounds(
        on,
        [...new Set(rounds.ids.values())].filter((id) => id !== null),
      );
    const columnOf = (field: string) => mapping.columns[field] ?? field;

    /**
     * Each batch of rows compared with the registered grants it may be (looked up for the batch, not
     * for the whole municipality), the registered grants already taken carried from batch to batch.
     */
    const compareAll = async (
      q: Queryable,
      leaveOut: [number, number][],
      fn: (changes: GrantChange[]) => Promise<void>,
    ) => {
      const taken = new IntMap();
      await forEachGrantRow(table, mapping, findGroup, read.alias, async (batch) => {
        const refs: { round_id: number; ref: string }[] = [];
        const keys: { round_id: number; actor_id: number }[] = [];
        for (const r of batch) {
          const roundId = roundIds.get(r.roundKey);
          const actorId = actorIds.get(r.actorKey);
          if (!roundId) continue;
          if (r.externalRef) refs.push({ round_id: roundId, ref: r.externalRef });
          else if (actorId) keys.push({ round_id: roundId, actor_id: actorId });
        }
        const existing = await grantsMatching(database, q, refs, keys, leaveOut);
        await fn(compareGrants(batch, roundIds, actorIds, existing, columnOf, taken));
      });
    };

    const summary = summarise(actors, choices);
    summary.roundsCreated = rounds.create.map((r) => ({ year: r.year, name: r.name }));
    const rowProblems: ImportProblem[] = [];
    // The registered grants the file changes, and the version each had when compared.
    const planned = new IntMap();
    // What the file changes each registered round's awarded total by (a changed grant counts with
    // its new award instead of its old), in øre.
    const raised = new Map<number, bigint>();
    await compareAll(on, [], async (changes) => {
      for (const c of changes) {
        if (c.kind === 'invalid') {
          if (rowProblems.length < MAX_PROBLEMS) rowProblems.push(c.problem);
          continue;
        }
        if (c.kind === 'update') planned.set(c.existing.id, c.existing.version);
        const roundId = roundIds.get(c.row.roundKey);
        if (roundId && c.kind !== 'skip') raised.set(roundId, (raised.get(roundId) ?? 0n) + awardChange(c));
        count(summary, c);
        // What each of the first rows will leave: a registered grant keeps what the file leaves out.
        if (summary.sample.length < SAMPLE) summary.sample.push(sampleOf(c, read.actors.get(c.row.actorKey)?.name));
      }
    });
    if (rowProblems.length) return invalid(rowProblems);
    const roundOf = new Map(existingRounds.map((r) => [r.id, r]));
    const over = await roundsOverBudget(on, raised, roundOf);
    if (over.length && !mapping.overrideBudget) {
      const firstLine = (roundId: number) =>
        Math.min(
          ...[...rounds.ids]
            .filter(([, id]) => id === roundId)
            .map(([key]) => read.roundLines.get(key)?.[0]?.line ?? Number.MAX_SAFE_INTEGER),
        );
      return invalid(
        over.map((o) => ({
          line: firstLine(o.round.id),
          column: columnOf('awarded'),
          message: 'import.overBudget',
          params: {
            round: o.round.name,
            year: o.round.year,
            budgetOre: String(o.round.budgetOre),
            totalOre: String(o.totalOre),
          },
        })),
      );
    }
    if (over.length)
      summary.roundsOverBudget = over.map((o) => ({
        year: o.round.year,
        name: o.round.name,
        budgetOre: o.round.budgetOre,
        awardedOre: String(o.totalOre),
      }));
    // With finance's override, each award the file raises in those rounds is marked, as the form marks it.
    const overridden = new Set(over.map((o) => o.round.id));
    const beyondBudget = (c: GrantChange) =>
      c.kind !== 'invalid' && overridden.has(roundIds.get(c.row.roundKey) ?? 0) && awardChange(c) > 0n;

    return {
      problems: [],
      summary,
      unresolved: actors.filter((a) => a.unresolved).length,
      async write(tx, principal, importId, progress) {
        const newActors = await createActors(
          tx,
          principal,
          row.municipalityCode,
          actors.filter((a) => a.actorId === null),
        );
        for (const [k, id] of newActors) actorIds.set(k, id);
        const thisYear = Number(danishDate().slice(0, 4));
        for (const r of rounds.create) {
          const budgetOre = read.budgets.get(r.key) ?? 0;
          const id = await insertImportedRound(database, tx, {
            municipalityCode: row.municipalityCode,
            year: r.year,
            name: r.name,
            budgetOre,
            status: r.year < thisYear ? 'decided' : 'open',
          });
          roundIds.set(r.key, id);
          roundOf.set(id, { id, year: r.year, name: r.name, budgetOre, reportDueOn: null });
          await recordAudit(tx, principal, {
            entity: 'grant_round',
            entityId: id,
            action: 'import',
            after: { ...r, importId },
          });
        }
        const dueOf = (roundId: number) => reportDueOf(roundOf.get(roundId) ?? { year: thisYear, reportDueOn: null });
        let done = 0;
        let created = 0;
        let updated = 0;
        const registered: [number, number][] = [];
        // The same comparison again, a batch at a time, leaving out the grants it registered itself;
        // a row that no longer compares as it was checked (a grant changed by someone else since)
        // stops the import, and nothing of it is saved.
        await compareAll(tx, registered, async (changes) => {
          for (const c of changes) {
            if (c.kind === 'invalid') throw importConflict();
            if (c.kind !== 'update') continue;
            const version = planned.get(c.existing.id);
            if (version === undefined) throw importConflict();
            c.existing = { ...c.existing, version };
            updated++;
          }
          const ids = await writeCreates(tx, principal, changes, roundIds, actorIds, dueOf, beyondBudget);
          created += ids.length;
          for (const id of ids) {
            const last = registered.at(-1);
            if (last && last[1] === id - 1) last[1] = id;
            else registered.push([id, id]);
          }
          await writeUpdates(tx, principal, importId, changes, actorIds, beyondBudget);
          done += changes.length;
          progress(done);
        });
        if (created !== summary.created || updated !== planned.size) throw importConflict();
      },
    };
  }

  /** What a row changes its round's awarded total by: a changed grant counts with its new award. */
  function awardChange(c: Exclude<GrantChange, { kind: 'invalid' }>): bigint {
    if (c.kind === 'create') return countedAward({ status: c.row.status, awardedOre: c.row.awardedOre });
    if (c.kind === 'update') return countedAward(c.next) - countedAward(c.existing);
    return 0n;
  }

  /**
   * The grant form's budget guard over a file's registered rounds: the rounds whose awarded total
   * the file takes over their budget, with that total (the totals read in one statement).
   */
  async function roundsOverBudget(on: Queryable, raised: Map<number, bigint>, roundOf: Map<number, RoundRef>) {
    const before = await awardedByRound(on, [...raised.keys()]);
    return [...raised].flatMap(([id, change]) => {
      const round = roundOf.get(id);
      const was = before.get(id) ?? 0n;
      return round && exceedsBudget(round.budgetOre, was, was + change) ? [{ round, totalOre: was + change }] : [];
    });
  }

  /** Registers the new grants of a batch, their allocations and audit entries, set-wise. */
  async function writeCreates(
    tx: Queryable,
    principal: Principal,
    changes: GrantChange[],
    roundIds: Map<string, number | null>,
    actorIds: Map<string, number | null>,
    dueOf: (roundId: number) => string,
    beyondBudget: (c: GrantChange) => boolean,
  ) {
    const creates = changes.filter((c) => c.kind === 'create');
    const ids = await nextIds(database, tx, 'grants_id_seq', creates.length);
    await inSlices(
      creates,
      SLICE,
      (json) => insertGrantRecords(tx, json),
      (c, i) => {
        const roundId = roundIds.get(c.row.roundKey) as number;
        return {
          id: ids[i],
          round_id: roundId,
          actor_id: actorIds.get(c.row.actorKey),
          title: c.row.title,
          purpose: c.row.purpose,
          requested: c.row.requestedOre ?? c.row.awardedOre ?? 0,
          awarded: c.row.awardedOre,
          decision_on: c.row.decisionOn,
          status: c.row.status,
          due: dueOf(roundId),
          ref: c.row.externalRef,
          group: c.row.targetGroupId,
          over: beyondBudget(c),
        };
      },
    );
    await inSlices(ids, SLICE, (_json, slice) => auditImportedRows(tx, principal, 'grants', slice));
    return ids;
  }

  /** Writes the registered grants a batch changes, only where each is still as it was read. */
  async function writeUpdates(
    tx: Queryable,
    principal: Principal,
    importId: number,
    changes: GrantChange[],
    actorIds: Map<string, number | null>,
    beyondBudget: (c: GrantChange) => boolean,
  ) {
    const updates = changes.flatMap((c) => (c.kind === 'update' ? [c] : []));
    await inSlices(
      updates,
      SLICE,
      async (json, slice) => {
        // Only a grant still as it was read is written: one changed since (or paid meanwhile) stops
        // the import, and nothing of it is saved.
        const written = await updateGrantRecords(database, tx, json);
        if (written !== slice.length) throw importConflict();
        await auditGrantUpdates(tx, principal, importId, json);
        await reallocateGrantRecords(tx, json);
      },
      (change) => {
        const { row, existing, next } = change;
        return {
          id: existing.id,
          version: existing.version,
          actor_id: next.actorId ?? actorIds.get(row.actorKey),
          title: next.title,
          purpose: next.purpose,
          requested: next.requestedOre,
          awarded: next.awardedOre,
          decision_on: next.decisionOn,
          status: next.status,
          ref: row.externalRef,
          group: next.targetGroupId,
          reallocate: next.reallocate,
          before: existing,
          over: beyondBudget(change),
        };
      },
    );
  }

  async function planActors(
    on: Queryable,
    row: ImportMeta,
    table: Table,
    mapping: ImportMapping,
    choices: ActorChoices,
  ): Promise<Plan> {
    const read = await readActors(table, mapping, await municipalityFinder(), row.municipalityCode);
    if (read.problems.length) return invalid(read.problems);
    const actors = resolveActors(read.actors, await lookupActors(on, read.actors), choices);
    const planOf = new Map(actors.map((a) => [a.key, a]));
    const matchedIds = actors.flatMap((a) => (a.actorId ? [a.actorId] : []));
    const current = await actorsToCompare(database, on, matchedIds);
    type Change = { actorId: number; set: Record<string, unknown>; before: Record<string, unknown> };
    const updates: Change[] = [];
    let skipped = 0;
    // Actors homed in another municipality are that municipality's to change: left as they are.
    const foreign = new Set<number>();
    // Two rows of the file that turn out to be one registered actor are one actor listed twice.
    const taken = new Map<number, number>();
    const twice: ImportProblem[] = [];
    for (const r of read.rows) {
      const id = planOf.get(r.key)?.actorId;
      if (!id) continue;
      const first = taken.get(id);
      if (first !== undefined) {
        twice.push({
          line: r.line,
          column: mapping.columns.name ?? 'name',
          value: r.name,
          message: 'import.duplicateActor',
          params: { first },
        });
        continue;
      }
      taken.set(id, r.line);
      const now = current.get(id) ?? {};
      const set: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r.fields)) {
        const was = now[IMPORTED_ACTOR_COLUMNS[k as keyof typeof IMPORTED_ACTOR_COLUMNS]];
        const same = Array.isArray(v)
          ? JSON.stringify([...v].sort()) === JSON.stringify([...((was as string[]) ?? [])].sort())
          : was === v;
        if (!same) set[k] = v;
      }
      if (r.cvr && !now.cvr) set.cvr = r.cvr;
      if (!Object.keys(set).length) skipped++;
      else if (Number(now.home_municipality_code) !== row.municipalityCode) foreign.add(id);
      else updates.push({ actorId: id, set, before: now });
    }
    if (twice.length) return invalid(twice.slice(0, MAX_PROBLEMS));
    const creating = actors.filter((a) => a.actorId === null);
    const summary: ImportSummary = {
      actorsCreated: creating.length,
      actorsMatched: actors.length - creating.length,
      roundsCreated: [],
      created: creating.length,
      updated: updates.length,
      skipped,
      skippedLocked: foreign.size,
      matches: actorMatches(actors, choices),
      sample: read.rows.slice(0, SAMPLE).map((r) => ({
        line: r.line,
        actor: r.name,
        title: null,
        year: null,
        amountOre: null,
        action: !planOf.get(r.key)?.actorId
          ? ('create' as const)
          : updates.some((u) => u.actorId === planOf.get(r.key)?.actorId)
            ? ('update' as const)
            : foreign.has(planOf.get(r.key)?.actorId ?? 0)
              ? ('locked' as const)
              : ('skip' as const),
      })),
    };
    const fieldsOf = new Map(read.rows.map((r) => [r.key, r.fields]));
    return {
      problems: [],
      summary,
      unresolved: actors.filter((a) => a.unresolved).length,
      async write(tx, principal, importId, progress) {
        await createActors(
          tx,
          principal,
          row.municipalityCode,
          creating.map((a) => ({ ...a, fields: fieldsOf.get(a.key) ?? {} })),
        );
        let done = creating.length + skipped + foreign.size;
        progress(done);
        for (const u of updates) {
          // Only an actor still as it was read, and still homed here, is written.
          const written = await updateImportedActor(database, tx, {
            actorId: u.actorId,
            version: Number(u.before.version),
            municipalityCode: row.municipalityCode,
            set: u.set,
          });
          if (!written) throw importConflict();
          await recordAudit(tx, principal, {
            entity: 'actor',
            entityId: u.actorId,
            action: 'import',
            before: u.before,
            after: { ...u.set, importId },
          });
          progress(++done);
        }
      },
    };
  }

  /** The actors of a plan; the rows are counted in as they are compared. */
  function summarise(actors: ActorPlan[], choices: ActorChoices): ImportSummary & { sample: SampleRow[] } {
    return {
      actorsCreated: actors.filter((a) => a.actorId === null && !a.unresolved).length,
      actorsMatched: actors.filter((a) => a.actorId !== null).length,
      roundsCreated: [],
      created: 0,
      updated: 0,
      skipped: 0,
      skippedLocked: 0,
      matches: actorMatches(actors, choices),
      sample: [],
    };
  }

  function count(summary: ImportSummary, c: GrantChange) {
    if (c.kind === 'create') summary.created++;
    else if (c.kind === 'update') summary.updated++;
    else if (c.kind === 'skip' && c.locked) summary.skippedLocked++;
    else if (c.kind === 'skip') summary.skipped++;
  }

  /** What a row will leave: a registered grant keeps what the file leaves out. */
  function sampleOf(c: GrantChange, actor: string | undefined): SampleRow {
    const shown =
      c.kind === 'update'
        ? { title: c.next.title, amount: c.next.awardedOre ?? c.next.requestedOre }
        : c.kind === 'skip'
          ? { title: c.existing.title, amount: c.existing.awardedOre ?? c.existing.requestedOre }
          : { title: c.row.title, amount: c.row.awardedOre ?? c.row.requestedOre ?? 0 };
    return {
      line: c.row.line,
      actor: actor ?? '',
      title: shown.title,
      year: c.row.year,
      amountOre: shown.amount,
      action: c.kind === 'skip' && c.locked ? ('locked' as const) : (c.kind as 'create' | 'update' | 'skip'),
    };
  }

  function invalid(problems: ImportProblem[]): Plan {
    return {
      problems,
      summary: {
        actorsCreated: 0,
        actorsMatched: 0,
        roundsCreated: [],
        created: 0,
        updated: 0,
        skipped: 0,
        skippedLocked: 0,
        matches: [],
      },
      unresolved: 0,
      write: async () => {
        throw new Error('an invalid plan writes nothing');
      },
    };
  }

  /** Checks every row; writing, in the writer's transaction, with the rounds it awards in locked. */
  async function plan(
    on: Queryable,
    row: ImportMeta,
    table: Table,
    mapping: ImportMapping,
    choices: ActorChoices,
    writing = false,
  ) {
    const problems = mappingProblems(row.kind, table, mapping);
    if (problems.length) return invalid(problems);
    if (!table.rowCount) return invalid([{ line: 0, message: 'import.file.noRows' }]);
    return row.kind === 'grants'
      ? planGrants(on, row, table, mapping, choices, writing)
      : planActors(on, row, table, mapping, choices);
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
    const { result, rowCount } = await withStoredTable(db, id, async (table) => ({
      result: await plan(db, row, table, mapping, choices),
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
      // Reference data is read (and cached) first: PGlite runs one transaction at a time.
      await municipalities.all();
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
