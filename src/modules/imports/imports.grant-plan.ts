import type { Queryable } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { IntMap } from '../../lib/int-set.ts';
import { MAX_OERE } from '../../lib/money.ts';
import type { Table } from '../../lib/upload.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { awardedByRound, lockRounds } from '../grants/grants.rounds.repository.ts';
import { countedAward, exceedsBudget, reportDueOf } from '../grants/grants.rules.ts';
import { type ActorPlan, actorMatches, lookupActors, registerActors, resolveActors } from './imports.actor-match.ts';
import { compareGrants, type GrantChange, reachedTwice } from './imports.grant-compare.ts';
import { forEachGrantRow, groupFinder, readGrants, resolveRounds } from './imports.grant-rows.ts';
import { writeCreates, writeUpdates } from './imports.grant-write.ts';
import { grantsMatching, type RoundRef, roundsOf, targetGroupsOf } from './imports.matching.repository.ts';
import { importConflict, invalidPlan, MAX_PROBLEMS, type Plan, SAMPLE } from './imports.plan.ts';
import type { ImportMeta } from './imports.repository.ts';
import type { ActorChoices, ImportMapping, ImportProblem, ImportSummary } from './imports.schemas.ts';
import { insertImportedRound } from './imports.writing.repository.ts';

type SampleRow = NonNullable<ImportSummary['sample']>[number];

/**
 * A grant list checked: its actors and rounds resolved, each batch of rows compared with the
 * registered grants it may be, the rounds' budgets guarded. Writing (in the run's transaction, the
 * rounds it awards in locked), the same comparison again, each batch written as it is compared.
 */
export async function planGrants(
  on: Queryable,
  row: ImportMeta,
  table: Table,
  mapping: ImportMapping,
  choices: ActorChoices,
  writing: boolean,
): Promise<Plan> {
  const groups = await targetGroupsOf(on, row.municipalityCode);
  if (mapping.defaultTargetGroupId && !groups.some((g) => g.id === mapping.defaultTargetGroupId))
    return invalidPlan([{ line: 0, column: 'targetGroup', message: 'import.unknownGroup' }]);
  const findGroup = groupFinder(groups);
  const read = await readGrants(table, mapping, findGroup);
  const existingRounds = await roundsOf(on, row.municipalityCode);
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
  if (problems.length) return invalidPlan(problems);
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
  // New rounds and actors get an id each: only registered ones are shared.
  const shared = { rounds: reachedTwice(roundIds), actors: reachedTwice(actorIds) };

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
      const existing = await grantsMatching(q, refs, keys, leaveOut);
      await fn(compareGrants(batch, roundIds, actorIds, existing, columnOf, shared, taken));
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
  if (rowProblems.length) return invalidPlan(rowProblems);
  const roundOf = new Map(existingRounds.map((r) => [r.id, r]));
  const over = await roundsOverBudget(on, raised, roundOf);
  if (over.length && !mapping.overrideBudget) {
    const firstLine = (roundId: number) =>
      Math.min(
        ...[...rounds.ids]
          .filter(([, id]) => id === roundId)
          .map(([key]) => read.roundLines.get(key)?.[0]?.line ?? Number.MAX_SAFE_INTEGER),
      );
    return invalidPlan(
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
      const newActors = await registerActors(
        tx,
        principal,
        row.municipalityCode,
        actors.filter((a) => a.actorId === null),
      );
      for (const [k, id] of newActors) actorIds.set(k, id);
      const thisYear = Number(danishDate().slice(0, 4));
      for (const r of rounds.create) {
        const budgetOre = read.budgets.get(r.key) ?? 0;
        const id = await insertImportedRound(tx, {
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
