import { unguardedCell } from '../../lib/csv.ts';
import { isEightDigits, normaliseCvr, passesModulus11 } from '../../lib/cvr.ts';
import { parseDanishDate } from '../../lib/dates.ts';
import { type IntMap, IntSet } from '../../lib/int-set.ts';
import { parseKroner } from '../../lib/money.ts';
import { fold, isFormula, type Table } from '../../lib/upload.ts';
import {
  type ActorRole,
  type actorRoles,
  actorFields as actorSchemaFields,
  type orgTypes,
} from '../actors/actors.schemas.ts';
import { awardedStatuses } from '../grants/grants.rules.ts';
import { grantYearOf } from './imports.grant-year.ts';
import type { ActorRef, ExistingGrant, RoundRef } from './imports.repository.ts';
import {
  type ActorChoices,
  type ActorMatch,
  fieldsOf,
  type ImportKind,
  type ImportMapping,
  type ImportProblem,
} from './imports.schemas.ts';

/** Grants already paid out or closed are left as they are when a file says otherwise. */
const LOCKED_STATUSES = new Set(['paid', 'accounted', 'closed', 'withdrawn']);
/** Problems kept per file: enough to see what is wrong, not a copy of a broken file. */
export const MAX_PROBLEMS = 1000;
/** The lines of an actor the user is shown while choosing what it is (all that is kept of them). */
const ACTOR_LINES = 5;

/**
 * Reads the mapped cells of each row and collects the problems, line by line. A cell the CSV export
 * guarded against formulas ('=Foreningen) is read without the guard's apostrophe.
 */
class RowReader {
  readonly problems: ImportProblem[] = [];
  /** Problems of each message, all of them counted (beyond MAX_PROBLEMS too). */
  readonly counts = new Map<string, number>();
  private readonly index = new Map<string, number>();
  readonly table: Table;
  readonly mapping: ImportMapping;

  constructor(table: Table, mapping: ImportMapping) {
    this.table = table;
    this.mapping = mapping;
    for (const [field, header] of Object.entries(mapping.columns)) {
      const i = table.header.indexOf(header);
      if (i >= 0) this.index.set(field, i);
    }
  }

  has(field: string) {
    return this.index.has(field);
  }

  /** The cell as the file holds it, trimmed. */
  private raw(row: string[], field: string): string {
    const i = this.index.get(field);
    return i === undefined ? '' : (row[i] ?? '').trim();
  }

  cell(row: string[], field: string): string {
    const v = this.raw(row, field);
    return unguardedCell(v) ?? v;
  }

  problem(line: number, field: string, message: string, value?: string, params?: Record<string, string | number>) {
    this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
    if (this.problems.length >= MAX_PROBLEMS) return;
    this.problems.push({
      line,
      column: this.mapping.columns[field] ?? field,
      ...(value !== undefined ? { value: value.slice(0, 200) } : {}),
      message,
      ...(params ? { params } : {}),
    });
  }

  /**
   * Text of at most max characters that a spreadsheet would not run as a formula: a cell the guard
   * protected is text, whatever it begins with.
   */
  text(row: string[], line: number, field: string, max: number): string {
    const raw = this.raw(row, field);
    const v = unguardedCell(raw) ?? raw;
    if (v === raw && v && isFormula(v)) this.problem(line, field, 'import.formula', v);
    else if (v.length > max) this.problem(line, field, 'import.tooLong', v, { max });
    return v;
  }

  /** A CVR number, checked; '' when the cell is empty. */
  cvr(row: string[], line: number): string | null {
    const v = this.cell(row, 'cvr');
    if (!v) return null;
    const cvr = normaliseCvr(v);
    if (!isEightDigits(cvr)) this.problem(line, 'cvr', 'import.cvrDigits', v);
    else if (!passesModulus11(cvr)) this.problem(line, 'cvr', 'import.cvrModulus11', v);
    else return cvr;
    return null;
  }

  kroner(row: string[], line: number, field: string): number | null {
    const v = this.cell(row, field);
    if (!v) return null;
    const parsed = parseKroner(v);
    if (!parsed.ok) {
      this.problem(line, field, `import.${parsed.error}`, v);
      return null;
    }
    return Number(parsed.oere);
  }
}

/** Where an actor of the file ends up: a registered one, or a new one. */
export interface ActorPlan {
  key: string;
  name: string;
  cvr: string | null;
  lines: number[];
  actorId: number | null;
  candidates: ActorRef[];
  /** True when the user must still choose between the candidates and a new actor. */
  unresolved: boolean;
}

/** An actor is known in the file by its CVR, or else by its folded name. */
const actorKey = (cvr: string | null, name: string) => (cvr ? `cvr:${cvr}` : `name:${fold(name)}`);

export interface ActorLookups {
  byCvr: Map<string, ActorRef>;
  byName: Map<string, ActorRef[]>;
  similar: Map<string, ActorRef[]>;
}

/**
 * Matches the actors of a file: by CVR first; then a registered actor of the very same name (and no
 * other CVR) is taken as it; then similar names are put to the user, who picks one or "new".
 */
export function resolveActors(
  wanted: Map<string, { name: string; cvr: string | null; lines: number[] }>,
  lookups: ActorLookups,
  choices: ActorChoices,
): ActorPlan[] {
  return [...wanted.entries()].map(([key, a]) => {
    const plan: ActorPlan = { key, ...a, actorId: null, candidates: [], unresolved: false };
    const byCvr = a.cvr ? lookups.byCvr.get(a.cvr) : undefined;
    if (byCvr) return { ...plan, actorId: byCvr.id };
    const same = (lookups.byName.get(a.name) ?? []).filter((c) => !c.cvr || !a.cvr || c.cvr === a.cvr);
    if (same.length === 1 && same[0]) return { ...plan, actorId: same[0].id };
    const candidates = [...same, ...(lookups.similar.get(a.name) ?? [])]
      .filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i)
      .filter((c) => !c.cvr || !a.cvr || c.cvr === a.cvr);
    if (!candidates.length) return plan;
    const choice = choices[key];
    if (choice === 'new') return { ...plan, candidates };
    if (typeof choice === 'number' && candidates.some((c) => c.id === choice))
      return { ...plan, candidates, actorId: choice };
    return { ...plan, candidates, unresolved: true };
  });
}

export const actorMatches = (actors: ActorPlan[], choices: ActorChoices): ActorMatch[] =>
  actors
    .filter((a) => a.candidates.length)
    .map((a) => ({
      key: a.key,
      name: a.name,
      cvr: a.cvr,
      lines: a.lines.slice(0, ACTOR_LINES),
      candidates: a.candidates.map((c) => ({ id: c.id, name: c.name, cvr: c.cvr })),
      choice: a.unresolved ? null : (choices[a.key] ?? null),
    }));

/** Columns every file of the kind must have mapped, and headers that must exist. */
export function mappingProblems(kind: ImportKind, table: Table, mapping: ImportMapping): ImportProblem[] {
  const problems: ImportProblem[] = [];
  for (const [field, header] of Object.entries(mapping.columns)) {
    if (!fieldsOf(kind).some((f) => f.key === field))
      problems.push({ line: 0, column: field, message: 'import.unknownField' });
    else if (!table.header.includes(header)) problems.push({ line: 1, column: header, message: 'import.noSuchColumn' });
  }
  for (const f of fieldsOf(kind)) {
    if (f.required && !mapping.columns[f.key])
      problems.push({ line: 1, column: f.key, message: `import.missing.${f.key}` });
  }
  if (kind === 'grants') {
    if (!mapping.columns.awarded && !mapping.columns.requested)
      problems.push({ line: 1, column: 'awarded', message: 'import.missing.amount' });
    // A row's year is in its year cell, its round's name ("Puljen (2026)"), the file's or its decision date.
    const { year, roundName, decisionOn } = mapping.columns;
    if (!year && !roundName && !decisionOn && !mapping.defaultYear)
      problems.push({ line: 1, column: 'year', message: 'import.missing.year' });
  }
  return problems;
}

/* Grant lists. */

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

function problemOf(
  mapping: ImportMapping,
  line: number,
  field: string,
  message: string,
  value: string,
  params: Record<string, number>,
): ImportProblem {
  return { line, column: mapping.columns[field] ?? field, value: value.slice(0, 200), message, params };
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

/** Name keys whose name is also that of exactly one CVR in the file → that CVR's key. */
function withoutCvrAliases(actors: Map<string, { name: string; cvr: string | null }>): Map<string, string> {
  const cvrKeyOf = new Map<string, string | null>();
  for (const [key, a] of actors) {
    if (!a.cvr) continue;
    const name = fold(a.name);
    cvrKeyOf.set(name, cvrKeyOf.has(name) ? null : key);
  }
  const alias = new Map<string, string>();
  for (const [key, a] of actors) {
    const to = a.cvr ? undefined : cvrKeyOf.get(fold(a.name));
    if (to) alias.set(key, to);
  }
  return alias;
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

/** A registered grant as the file leaves it: what the row gives over what it has. */
interface NextGrant {
  /** Null when the row's actor is registered by this import: filled in once it is. */
  actorId: number | null;
  title: string;
  purpose: string | null;
  requestedOre: number;
  awardedOre: number | null;
  status: string;
  decisionOn: string | null;
  /** The allocations are replaced by one on this group (none when nothing is awarded). */
  reallocate: boolean;
  targetGroupId: number | null;
}

export type GrantChange =
  | { kind: 'create'; row: GrantRowPlan }
  | { kind: 'update'; row: GrantRowPlan; existing: ExistingGrant; next: NextGrant }
  | { kind: 'skip'; row: GrantRowPlan; existing: ExistingGrant; locked: boolean }
  | { kind: 'invalid'; row: GrantRowPlan; problem: ImportProblem };

/** The decision a status holds: a grant paid, accounted or closed was approved (as the file says). */
const decisionOf = (status: string) => ((awardedStatuses as readonly string[]).includes(status) ? 'approved' : status);

/** A decision the file may make: an application approved or rejected; nothing goes back. */
const mayMove = (from: string, to: string) =>
  from === to || (from === 'applied' && (to === 'approved' || to === 'rejected'));

/**
 * The registered grant with the row's given fields laid over it. The allocations are only touched
 * when the file gives an award that differs, or names a group the award is not allocated to: a
 * grant split over several groups stays split when the file names one of them and the same award.
 * A new award goes to the group the row names, else the grant's one group, else the default group.
 */
function nextGrant(row: GrantRowPlan, actorId: number | null, g: ExistingGrant): NextGrant {
  const awardGiven = row.awardedOre !== null;
  const awarded = awardGiven ? row.awardedOre : g.awardedOre;
  // Another group for the award, with or without the amount: the award moves to that group.
  const otherGroup =
    row.groupGiven && (awarded ?? 0) > 0 && row.targetGroupId !== null && !g.groupIds.includes(row.targetGroupId);
  const reallocate = (awardGiven && row.awardedOre !== g.awardedOre) || otherGroup;
  const targetGroupId = row.groupGiven
    ? row.targetGroupId
    : g.groupIds.length === 1
      ? (g.groupIds[0] ?? null)
      : g.groupIds.length === 0
        ? row.targetGroupId
        : null;
  return {
    actorId,
    title: row.titleGiven ? row.title : g.title,
    purpose: row.purpose ?? g.purpose,
    requestedOre: row.requestedOre ?? g.requestedOre,
    awardedOre: awarded,
    status: awardGiven ? row.status : g.status,
    decisionOn: row.decisionOn ?? g.decisionOn,
    reallocate,
    targetGroupId,
  };
}

/** The ids that two or more keys of the file resolve to. */
export function reachedTwice(ids: Map<string, number | null>): Set<number> {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const id of ids.values()) {
    if (id === null) continue;
    if (seen.has(id)) twice.add(id);
    seen.add(id);
  }
  return twice;
}

/**
 * Where two rows of a file may land on one registered grant. readGrants has refused two rows of one
 * grant key (a case number in a round, else actor and title in a round), so two rows reach one
 * registered grant only through a round, or an actor, that two keys of the file resolve to.
 */
export interface SharedIds {
  rounds: Set<number>;
  actors: Set<number>;
}

/**
 * Each row against the registered grants of its round: by reference, else by actor and title. A
 * row that would need a target group it does not have, or that lands on a grant an earlier row of
 * the file already took, is a problem rather than a write.
 */
export function compareGrants(
  rows: GrantRowPlan[],
  roundIds: Map<string, number | null>,
  actorIds: Map<string, number | null>,
  existing: ExistingGrant[],
  columnOf: (field: string) => string,
  shared: SharedIds,
  /**
   * Registered grants already matched by earlier rows of the file (id → line): only those reached
   * through a shared round or actor, the only ones a later row can reach again.
   */
  taken: IntMap,
): GrantChange[] {
  const byRef = new Map<string, ExistingGrant>();
  const byKey = new Map<string, ExistingGrant>();
  for (const g of existing) {
    if (g.externalRef) byRef.set(`${g.roundId}|${g.externalRef}`, g);
    byKey.set(`${g.roundId}|${g.actorId}|${fold(g.title)}`, g);
  }
  const invalid = (
    row: GrantRowPlan,
    field: string,
    message: string,
    params?: Record<string, number>,
  ): GrantChange => ({
    kind: 'invalid',
    row,
    problem: { line: row.line, column: columnOf(field), message, ...(params ? { params } : {}) },
  });
  const create = (row: GrantRowPlan): GrantChange =>
    (row.awardedOre ?? 0) > 0 && row.targetGroupId === null
      ? invalid(row, 'targetGroup', 'import.groupRequired')
      : { kind: 'create', row };
  return rows.map((row): GrantChange => {
    const roundId = roundIds.get(row.roundKey);
    const actorId = actorIds.get(row.actorKey) ?? null;
    if (!roundId) return create(row);
    const match = row.externalRef
      ? byRef.get(`${roundId}|${row.externalRef}`)
      : actorId
        ? byKey.get(`${roundId}|${actorId}|${fold(row.title)}`)
        : undefined;
    if (!match || (!row.externalRef && match.externalRef)) return create(row);
    if (shared.rounds.has(roundId) || (!row.externalRef && actorId !== null && shared.actors.has(actorId))) {
      const first = taken.get(match.id);
      if (first !== undefined)
        return invalid(row, row.externalRef ? 'externalRef' : 'title', 'import.sameGrant', { first });
      taken.set(match.id, row.line);
    }
    const next = nextGrant(row, actorId, match);
    const same =
      next.actorId === match.actorId &&
      next.title === match.title &&
      next.purpose === match.purpose &&
      next.requestedOre === match.requestedOre &&
      next.awardedOre === match.awardedOre &&
      decisionOf(next.status) === decisionOf(match.status) &&
      next.decisionOn === match.decisionOn &&
      !next.reallocate;
    if (same) return { kind: 'skip', row, existing: match, locked: false };
    if (LOCKED_STATUSES.has(match.status) || !mayMove(match.status, next.status))
      return { kind: 'skip', row, existing: match, locked: true };
    if (next.reallocate && (next.awardedOre ?? 0) > 0 && next.targetGroupId === null)
      return invalid(row, 'targetGroup', match.groupIds.length > 1 ? 'import.splitAward' : 'import.groupRequired');
    return { kind: 'update', row, existing: match, next };
  });
}

/* Actor lists. */

const ORG_TYPES: Record<string, (typeof orgTypes)[number]> = {
  forening: 'association',
  association: 'association',
  frivilligforening: 'association',
  selvejendeinstitution: 'self_governing_institution',
  selfgoverninginstitution: 'self_governing_institution',
  fond: 'foundation',
  foundation: 'foundation',
  socialoekonomiskvirksomhed: 'social_enterprise',
  socialenterprise: 'social_enterprise',
  uformelgruppe: 'informal_group',
  informalgroup: 'informal_group',
  netvaerk: 'informal_group',
};

const ROLES: Record<string, (typeof actorRoles)[number]> = {
  fortaler: 'advocate',
  interessevaretager: 'advocate',
  interesseorganisation: 'advocate',
  advocate: 'advocate',
  inklusionsarena: 'inclusion_arena',
  arenaforinklusion: 'inclusion_arena',
  inclusionarena: 'inclusion_arena',
  leverandoer: 'service_provider',
  leverandoerafsocialeydelser: 'service_provider',
  serviceprovider: 'service_provider',
};

export interface ActorRowPlan {
  line: number;
  key: string;
  name: string;
  cvr: string | null;
  /** Only the cells the file fills in; the rest of a registered actor is left alone. */
  fields: Partial<{
    orgType: (typeof orgTypes)[number];
    roles: ActorRole[];
    email: string;
    phone: string;
    website: string;
    address: string;
    description: string;
  }>;
}

/**
 * Reads an actor list of one municipality. Its actors are homed there: a row that names another
 * home municipality is a problem, as that municipality's users keep their own actors.
 */
export async function readActors(
  table: Table,
  mapping: ImportMapping,
  findMunicipality: (s: string) => number | undefined,
  municipalityCode: number,
): Promise<{
  rows: ActorRowPlan[];
  actors: Map<string, { name: string; cvr: string | null; lines: number[] }>;
  problems: ImportProblem[];
}> {
  const r = new RowReader(table, mapping);
  const rows: ActorRowPlan[] = [];
  const actors = new Map<string, { name: string; cvr: string | null; lines: number[] }>();
  const shape = actorSchemaFields.shape;
  await table.forEachRow((row, line) => {
    const before = r.problems.length;
    const name = r.text(row, line, 'name', 200);
    if (!name) r.problem(line, 'name', 'import.required');
    const cvr = r.cvr(row, line);
    const fields: ActorRowPlan['fields'] = {};
    const orgType = r.cell(row, 'orgType');
    if (orgType) {
      const t = ORG_TYPES[fold(orgType)];
      if (t) fields.orgType = t;
      else r.problem(line, 'orgType', 'import.orgType', orgType);
    }
    const roles = r.cell(row, 'roles');
    if (roles) {
      const parts = roles
        .split(/[,;/]|\sog\s/)
        .map((p) => p.trim())
        .filter(Boolean);
      const mapped = parts.map((p) => ROLES[fold(p)]);
      if (!parts.length || mapped.some((m) => !m)) r.problem(line, 'roles', 'import.role', roles);
      else fields.roles = [...new Set(mapped as ActorRole[])];
    }
    for (const [field, schema] of [
      ['email', shape.email],
      ['phone', shape.phone],
      ['website', shape.website],
    ] as const) {
      const problemsBefore = r.problems.length;
      const v = r.text(row, line, field, 500);
      if (!v || r.problems.length > problemsBefore) continue;
      const parsed = schema.safeParse(v);
      if (parsed.success && parsed.data) fields[field] = parsed.data;
      else r.problem(line, field, `import.${field}`, v);
    }
    const address = r.text(row, line, 'address', 500);
    if (address) fields.address = address;
    const description = r.text(row, line, 'description', 5000);
    if (description) fields.description = description;
    const home = r.cell(row, 'homeMunicipality');
    if (home) {
      const code = findMunicipality(home);
      if (!code) r.problem(line, 'homeMunicipality', 'import.municipality', home);
      else if (code !== municipalityCode) r.problem(line, 'homeMunicipality', 'import.otherMunicipality', home);
    }
    if (r.problems.length > before) return true;
    const key = actorKey(cvr, name);
    const seen = actors.get(key);
    if (seen) {
      r.problem(line, cvr ? 'cvr' : 'name', 'import.duplicateActor', cvr ?? name, { first: seen.lines[0] ?? 0 });
      return true;
    }
    actors.set(key, { name, cvr, lines: [line] });
    rows.push({ line, key, name, cvr, fields });
    return true;
  });
  // The same name with a CVR and without one is one actor listed twice.
  for (const [from, to] of withoutCvrAliases(actors)) {
    r.problem(actors.get(from)?.lines[0] ?? 0, 'name', 'import.duplicateActor', actors.get(from)?.name, {
      first: actors.get(to)?.lines[0] ?? 0,
    });
  }
  return { rows, actors, problems: r.problems };
}
