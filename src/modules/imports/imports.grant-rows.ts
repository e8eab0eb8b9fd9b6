import { parseDanishDate } from '../../lib/dates.ts';
import { IntSet } from '../../lib/int-set.ts';
import { fold, type Table } from '../../lib/upload.ts';
import { ACTOR_LINES, actorKey, withoutCvrAliases } from './imports.actor-match.ts';
import { grantYearOf } from './imports.grant-year.ts';
import type { RoundRef } from './imports.matching.repository.ts';
import { MAX_PROBLEMS } from './imports.plan.ts';
import { problemOf, RowReader } from './imports.rows.ts';
import type { ImportMapping, ImportProblem } from './imports.schemas.ts';

/*
 * A grant list read: its rows (a batch at a time, never all held), and what the whole file needs
 * before they are compared with the registered grants: its actors, its rounds and its problems.
 */

/**
 * A row of a grant list. Where a cell is empty or its column unmapped, the field is null (or its
 * "given" flag false): a new grant gets a default, and a registered grant keeps what it has.
 */
export interface GrantRowPlan {
  line: number;
  externalRef: string | null;
  actorKey: string;
  actorName: string;
  cvr: string | null;
  /** The file's title, or "§ 18-tilskud <year>" when it has none (new grants and matching use it). */
  title: string;
  titleGiven: boolean;
  purpose: string | null;
  year: number;
  roundKey: string;
  /** The round's name, without the year the grant export adds ("Puljen (2026)" → "Puljen"). */
  roundName: string | null;
  /** The name as the file wrote it, when a year was taken off it. */
  roundAsWritten: string | null;
  requestedOre: number | null;
  awardedOre: number | null;
  /** The decision the award says; only used when the file gives an award. */
  status: 'applied' | 'approved' | 'rejected';
  /** The group the award goes to: the row's own, or the default for rows without one. */
  targetGroupId: number | null;
  groupGiven: boolean;
  decisionOn: string | null;
}

/** A round of the file: its year and name, and the name as written when a year was taken off it. */
interface WantedRound {
  year: number;
  name: string | null;
  asWritten: string | null;
}

export interface ReadGrants {
  actors: Map<string, { name: string; cvr: string | null; lines: number[] }>;
  rounds: Map<string, WantedRound>;
  /** What the file awards in each of its rounds (a new round gets it as its budget). */
  budgets: Map<string, number>;
  /** The first lines of each round (a round the file leaves ambiguous is a problem on each). */
  roundLines: Map<string, { line: number; year: number }[]>;
  /** Name keys that are a CVR's actor of the file (the same name with the CVR on other rows). */
  alias: Map<string, string>;
  problems: ImportProblem[];
}

/** A 32-bit FNV-1a hash: rows are compared by it first, holding a number per row, not its key. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Rows of the same key, found exactly: by hash first, then by key among the hashes seen twice. */
class SameKeys {
  /** The hash of every key (a million rows: 8 MB). */
  private readonly seen = new IntSet();
  readonly twice = new IntSet();
  see(key: string) {
    const h = hash32(key);
    if (!this.seen.add(h)) this.twice.add(h);
  }
}

/** A target group named in a file: its FFB code (UUID), or its Danish or English name. */
export function groupFinder(groups: { id: number; ffbCode: string | null; nameDa: string; nameEn: string | null }[]) {
  const by = new Map<string, number>();
  // FFB groups are listed before local ones, so a local group of the same name does not shadow one.
  for (const g of groups) {
    for (const k of [g.ffbCode?.toLowerCase(), fold(g.nameDa), g.nameEn ? fold(g.nameEn) : undefined]) {
      if (k && !by.has(k)) by.set(k, g.id);
    }
  }
  return (s: string) => by.get(s.toLowerCase()) ?? by.get(fold(s));
}

/** Reads a row of a grant list into its plan (null when it has problems, which r collects). */
function grantRowOf(
  r: RowReader,
  mapping: ImportMapping,
  findGroup: (s: string) => number | undefined,
  intern: (k: string) => string,
  row: string[],
  line: number,
): GrantRowPlan | null {
  const before = r.problems.length;
  const externalRef = r.text(row, line, 'externalRef', 100) || null;
  const name = r.text(row, line, 'actorName', 200);
  const cvr = r.cvr(row, line);
  if (!name) r.problem(line, 'actorName', 'import.required');
  const dateText = r.cell(row, 'decisionOn');
  const decisionOn = dateText ? (parseDanishDate(dateText) ?? null) : null;
  if (dateText && !decisionOn) r.problem(line, 'decisionOn', 'import.date', dateText);
  const roundText = r.text(row, line, 'roundName', 200) || null;
  const read = grantYearOf({ yearText: r.cell(row, 'year'), roundText, defaultYear: mapping.defaultYear, decisionOn });
  if ('problem' in read) {
    const p = read.problem;
    if ('field' in p) r.problem(line, p.field, p.message, p.value);
    // Unless a bad date is the reason already.
    else if (!dateText || decisionOn)
      r.problem(line, r.has('year') || !r.has('decisionOn') ? 'year' : 'decisionOn', p.message);
  }
  const { year, roundName, roundAsWritten } =
    'problem' in read ? { year: 0, roundName: null, roundAsWritten: null } : read;
  const givenTitle = r.text(row, line, 'title', 300);
  const title = givenTitle || `§ 18-tilskud ${year}`;
  const purpose = r.text(row, line, 'purpose', 5000) || null;
  const requested = r.kroner(row, line, 'requested');
  const awarded = r.kroner(row, line, 'awarded');
  if (requested === null && awarded === null && !r.cell(row, 'requested') && !r.cell(row, 'awarded'))
    r.problem(line, r.has('awarded') ? 'awarded' : 'requested', 'import.amountRequired');
  const groupText = r.cell(row, 'targetGroup');
  let targetGroupId: number | null = null;
  if (groupText) {
    targetGroupId = findGroup(groupText) ?? null;
    if (targetGroupId === null) r.problem(line, 'targetGroup', 'import.unknownGroup', groupText);
  } else if (awarded) {
    // A registered grant may already have its group: whether one is missing is known once compared.
    targetGroupId = mapping.defaultTargetGroupId ?? null;
  }
  if (r.problems.length > before) return null;
  return {
    line,
    externalRef,
    actorKey: intern(actorKey(cvr, name)),
    actorName: name,
    cvr,
    title,
    titleGiven: givenTitle !== '',
    purpose,
    year,
    roundKey: intern(`${year}:${roundName ? fold(roundName) : ''}`),
    roundName,
    roundAsWritten,
    requestedOre: requested,
    awardedOre: awarded,
    status: awarded === null ? 'applied' : awarded > 0 ? 'approved' : 'rejected',
    // The group counts with an award, or, for a registered grant's award, on its own.
    targetGroupId: awarded || groupText ? targetGroupId : null,
    groupGiven: groupText !== '',
    decisionOn,
  };
}

/** Keys repeat on many rows: one string each, not one per row. */
function interner() {
  const interned = new Map<string, string>();
  return (k: string) => {
    const known = interned.get(k);
    if (known !== undefined) return known;
    interned.set(k, k);
    return k;
  };
}

/** The key two rows of one grant share: the case number in the round, else actor and title. */
const grantKey = (g: GrantRowPlan) =>
  g.externalRef ? `ref|${g.roundKey}|${g.externalRef}` : `key|${g.roundKey}|${g.actorKey}|${fold(g.title)}`;

/**
 * Reads a grant list, a batch of rows at a time, into what the whole file needs before its rows
 * are compared with the registered grants: its actors and rounds, and its problems (rows of the
 * same grant included). The rows themselves are not kept: forEachGrantRow reads them again.
 */
export async function readGrants(
  table: Table,
  mapping: ImportMapping,
  findGroup: (s: string) => number | undefined,
): Promise<ReadGrants> {
  const r = new RowReader(table, mapping);
  const actors = new Map<string, { name: string; cvr: string | null; lines: number[] }>();
  const rounds = new Map<string, WantedRound>();
  const budgets = new Map<string, number>();
  const roundLines = new Map<string, { line: number; year: number }[]>();
  const same = new SameKeys();
  const intern = interner();
  await table.forEachRow((row, line) => {
    const g = grantRowOf(r, mapping, findGroup, intern, row, line);
    if (!g) return true;
    const actor = actors.get(g.actorKey) ?? { name: g.actorName, cvr: g.cvr, lines: [] };
    if (actor.lines.length < ACTOR_LINES) actor.lines.push(line);
    actors.set(g.actorKey, actor);
    const asWritten = g.roundAsWritten ?? rounds.get(g.roundKey)?.asWritten ?? null;
    rounds.set(g.roundKey, { year: g.year, name: g.roundName, asWritten });
    budgets.set(g.roundKey, (budgets.get(g.roundKey) ?? 0) + (g.awardedOre ?? 0));
    const lines = roundLines.get(g.roundKey) ?? [];
    if (lines.length < MAX_PROBLEMS) lines.push({ line, year: g.year });
    roundLines.set(g.roundKey, lines);
    same.see(grantKey(g));
    return true;
  });
  // A name on some rows with a CVR and on others without is the one actor of that CVR.
  const alias = withoutCvrAliases(actors);
  for (const [from, to] of alias) {
    const target = actors.get(to);
    for (const line of actors.get(from)?.lines ?? [])
      if (target && target.lines.length < ACTOR_LINES) target.lines.push(line);
    actors.delete(from);
  }
  const problems = yearOfNoRow(r, table.rowCount);
  const targets = new Set(alias.values());
  if (same.twice.size || alias.size) {
    // Rows of the same grant, read again: those whose keys hashed alike, and, once names are known to
    // be a CVR's actor, rows that only now turn out to be the same grant.
    const seen = new Map<string, number>();
    const seenAliased = new Map<string, { line: number; aliased: boolean }>();
    const quiet = new RowReader(table, mapping);
    await table.forEachRow((row, line) => {
      const g = grantRowOf(quiet, mapping, findGroup, intern, row, line);
      if (!g) return true;
      const k = grantKey(g);
      if (same.twice.has(hash32(k))) {
        const first = seen.get(k);
        if (first === undefined) seen.set(k, line);
        else
          problems.push(
            g.externalRef
              ? problemOf(mapping, line, 'externalRef', 'import.duplicateRef', g.externalRef, { first })
              : problemOf(mapping, line, 'title', 'import.duplicateGrant', g.title, { first }),
          );
      }
      const aliased = alias.has(g.actorKey);
      const actor = alias.get(g.actorKey) ?? g.actorKey;
      if (g.externalRef || !targets.has(actor)) return true;
      const ak = `${g.roundKey}|${actor}|${fold(g.title)}`;
      const first = seenAliased.get(ak);
      if (!first) seenAliased.set(ak, { line, aliased });
      else if ((aliased || first.aliased) && !same.twice.has(hash32(k)))
        problems.push(problemOf(mapping, line, 'title', 'import.duplicateGrant', g.title, { first: first.line }));
      return true;
    });
    // In line order, as the rows are: a row has either problems of its cells or is a second row.
    problems.sort((a, b) => a.line - b.line);
  }
  return { actors, rounds, budgets, roundLines, alias, problems: problems.slice(0, MAX_PROBLEMS) };
}

/**
 * The problems read: when no row has a year (its columns hold none), one asking for it, as for a
 * file with no year column, rather than one on every line.
 */
function yearOfNoRow(r: RowReader, rows: number): ImportProblem[] {
  if (!rows || r.counts.get('import.yearUnknown') !== rows) return r.problems;
  return [
    { line: 1, column: 'year', message: 'import.missing.year' },
    ...r.problems.filter((p) => p.message !== 'import.yearUnknown'),
  ];
}

/**
 * The rows of a grant list (read checked by readGrants, so without problems), a batch at a time,
 * each with the actor of the file it is.
 */
export async function forEachGrantRow(
  table: Table,
  mapping: ImportMapping,
  findGroup: (s: string) => number | undefined,
  alias: Map<string, string>,
  fn: (rows: GrantRowPlan[]) => Promise<void>,
): Promise<void> {
  const intern = interner();
  await table.forEachBatch(async (batch) => {
    const r = new RowReader(table, mapping);
    const rows: GrantRowPlan[] = [];
    for (const { cells, line } of batch) {
      const g = grantRowOf(r, mapping, findGroup, intern, cells, line);
      if (!g) continue;
      g.actorKey = alias.get(g.actorKey) ?? g.actorKey;
      rows.push(g);
    }
    await fn(rows);
    return true;
  });
}

/**
 * Which registered round each round of the file is: by name (without the year the export adds, else
 * as written), or the year's only round, or a new one.
 */
export function resolveRounds(
  wanted: Map<string, WantedRound>,
  existing: RoundRef[],
): { ids: Map<string, number | null>; create: { key: string; year: number; name: string }[]; ambiguous: string[] } {
  const ids = new Map<string, number | null>();
  const create: { key: string; year: number; name: string }[] = [];
  const ambiguous: string[] = [];
  for (const [key, w] of wanted) {
    const sameYear = existing.filter((r) => r.year === w.year);
    const byName = (name: string | null) => (name ? sameYear.find((r) => fold(r.name) === fold(name)) : undefined);
    const named = byName(w.name) ?? byName(w.asWritten);
    if (named) ids.set(key, named.id);
    else if (!w.name && sameYear.length === 1 && sameYear[0]) ids.set(key, sameYear[0].id);
    else if (!w.name && sameYear.length > 1) ambiguous.push(key);
    else {
      ids.set(key, null);
      create.push({ key, year: w.year, name: w.name ?? `§ 18-puljen ${w.year}` });
    }
  }
  return { ids, create, ambiguous };
}
