import type { CsvCell } from '../../lib/csv.ts';
import { decimals, groupName, type Locale } from '../../lib/format.ts';
import { type Html, htmlJoin, numberCells } from '../../lib/html.ts';
import { proportionalityChart } from './reports.chart.ts';
import type { ReportParams, Scope } from './reports.repository.ts';
import type { ReportService } from './reports.service.ts';

/**
 * The report pages' presentation: pure functions from the reports' data (and the reader's language)
 * to what the templates and exports show. No request, no database.
 */

type Report = Awaited<ReturnType<ReportService['proportionality']>>;
type SharedActors = Awaited<ReturnType<ReportService['sharedActors']>>;
type Place = { code: number; name: string; regionCode: number; regionName: string };
type Translate = (key: string, params?: Record<string, string | number>) => string;

/** The report page's choices, as read from its query string. */
export interface ReportChoices {
  area?: string;
  municipalityCode?: number;
  regionCode?: number;
  scope?: 'national';
  year?: number;
  yearFrom?: number;
  yearTo?: number;
  threshold?: number;
  expand?: number | number[];
}

const areaOf = (s: Scope) => (s.kind === 'national' ? 'national' : `${s.kind}:${s.code}`);

/** `area` (national, region:<code>, municipality:<code>) first, then the older fields, then your own. */
function scopeOf(f: ReportChoices, own: number | null): Scope {
  if (f.area === 'national' || f.scope === 'national') return { kind: 'national' };
  if (f.area?.startsWith('region:')) return { kind: 'region', code: Number(f.area.slice(7)) };
  if (f.area?.startsWith('municipality:')) return { kind: 'municipality', code: Number(f.area.slice(13)) };
  if (f.regionCode !== undefined) return { kind: 'region', code: f.regionCode };
  return { kind: 'municipality', code: f.municipalityCode ?? own ?? 101 };
}

/** The report asked for: years in order and at most 21 of them, this year when none is given. */
export function reportParams(f: ReportChoices, own: number | null, thisYear: number) {
  let yearFrom = f.yearFrom ?? f.year ?? thisYear;
  let yearTo = f.yearTo ?? f.year ?? yearFrom;
  if (yearTo < yearFrom) [yearFrom, yearTo] = [yearTo, yearFrom];
  if (yearTo - yearFrom > 20) yearTo = yearFrom + 20;
  const params: ReportParams = { scope: scopeOf(f, own), yearFrom, yearTo, threshold: f.threshold ?? 0.5 };
  const expand = new Set(f.expand === undefined ? [] : Array.isArray(f.expand) ? f.expand : [f.expand]);
  return { params, expand };
}

/**
 * The report's own part of its query string (place, years, threshold), as URLSearchParams writes it.
 * Its values are a place (`national`, `region:<code>`, `municipality:<code>`), whole years and a
 * number: of their characters, form encoding changes only the colon (the tests hold it to
 * URLSearchParams). Written by hand because a report page writes one for each row it shows and each
 * finding it lists (60 on the national report), and URLSearchParams was a fifth of the page's
 * presentation (issue 17).
 */
function queryBase(params: ReportParams): string {
  const years =
    params.yearFrom === params.yearTo
      ? `&year=${params.yearFrom}`
      : `&yearFrom=${params.yearFrom}&yearTo=${params.yearTo}`;
  const threshold = params.threshold !== 0.5 ? `&threshold=${params.threshold}` : '';
  return `?area=${areaOf(params.scope).replace(':', '%3A')}${years}${threshold}`;
}

/** A report's query string (its `queryBase`) with a set of expanded groups. */
function withExpanded(base: string, expand: Iterable<number>): string {
  let q = base;
  for (const e of expand) q += `&expand=${e}`;
  return q;
}

const EXPAND = htmlJoin('&expand=');
const PROPORTIONALITY = htmlJoin('/reports/proportionality');
/** The same as HTML, from the query string made HTML once for the page (`&` written `&amp;`). */
function withExpandedHtml(base: Html, expand: Iterable<number>): Html {
  const pieces: (Html | number)[] = [base];
  for (const e of expand) pieces.push(EXPAND, e);
  return htmlJoin(...pieces);
}

/** The query string that reproduces the report, optionally with another set of expanded groups. */
export function reportQuery(params: ReportParams, expand: Iterable<number> = []) {
  return withExpanded(queryBase(params), expand);
}

/** Rows in tree order (siblings worst first, as the report sorts them), down to the expanded groups. */
export function visibleTree<R extends { targetGroupId: number; parentId: number | null }>(
  rows: R[],
  expand: Set<number>,
) {
  const byParent = new Map<number | null, R[]>();
  for (const r of rows) {
    const siblings = byParent.get(r.parentId);
    if (siblings) siblings.push(r);
    else byParent.set(r.parentId, [r]);
  }
  const out: { row: R; depth: number; hasChildren: boolean; expanded: boolean }[] = [];
  const walk = (parent: number | null, depth: number) => {
    for (const r of byParent.get(parent) ?? []) {
      const hasChildren = byParent.has(r.targetGroupId);
      const expanded = hasChildren && (depth === 0 || expand.has(r.targetGroupId));
      out.push({ row: r, depth, hasChildren, expanded });
      if (expanded) walk(r.targetGroupId, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

const percentFormats = { da: decimals('da', 0, 1), en: decimals('en', 0, 1) };
/** A share (0–1) as a percentage with one decimal: 0.125 → "12,5 %". */
export const percent = (locale: Locale) => (share: number) => `${percentFormats[locale](share * 100)} %`;

/** The regions, by code, from the municipalities. */
export const regionsOf = (places: Place[]) =>
  [...new Map(places.map((m) => [m.regionCode, m.regionName])).entries()].sort((a, b) => a[0] - b[0]);

/**
 * Links from a group's row to the grants and actors behind it, in the report's place and year; with
 * the report's own query (`back`), the lists link back to the report as it was.
 */
export function drillLinks(params: ReportParams, back?: string) {
  // What follows the group in each link is the same for every row: written once for the report.
  const grants = new URLSearchParams();
  if (params.scope.kind === 'municipality') grants.set('municipalityCode', String(params.scope.code));
  if (params.scope.kind === 'region') grants.set('regionCode', String(params.scope.code));
  if (params.yearFrom === params.yearTo) grants.set('year', String(params.yearFrom));
  const actors = new URLSearchParams();
  if (params.scope.kind === 'municipality') actors.set('municipalityCode', String(params.scope.code));
  if (back) for (const q of [grants, actors]) q.set('report', back.replace(/^\?/, ''));
  // As HTML, escaped once here (the `&`s): a row's link joins them with its group.
  const after = (q: URLSearchParams) => htmlJoin(q.size ? `&${q}` : '');
  const [grantsAfter, actorsAfter] = [after(grants), after(actors)];
  return (r: { targetGroupId: number }) => ({
    grants: htmlJoin(GRANTS_OF_GROUP, r.targetGroupId, grantsAfter),
    actors: htmlJoin(ACTORS_OF_GROUP, r.targetGroupId, actorsAfter),
  });
}
const GRANTS_OF_GROUP = htmlJoin('/grants?targetGroupId=');
const ACTORS_OF_GROUP = htmlJoin('/actors?targetGroupId=');

/** What a finding is: a group that gets too little for its need, or nothing at all. */
const FINDINGS = new Set<string>(['underserved', 'no_offer']);
/** Flags that warn (the chart marks them); "ok" and "no data" do not. */
const WARNINGS = new Set<string>([...FINDINGS, 'no_estimate']);

const indexFormats = { da: decimals('da', 2, 2), en: decimals('en', 2, 2) };

/** Each group's ancestors, nearest first, and how many groups below it (at any depth) are findings. */
export function groupFamily<R extends { targetGroupId: number; parentId: number | null; flag: string }>(rows: R[]) {
  const byId = new Map(rows.map((r) => [r.targetGroupId, r]));
  const ancestors = (r: R) => {
    const out: R[] = [];
    for (let p = byId.get(r.parentId ?? -1); p && out.length < 50; p = byId.get(p.parentId ?? -1)) out.push(p);
    return out;
  };
  const flaggedBelow = new Map<number, number>();
  for (const r of rows)
    if (FINDINGS.has(r.flag))
      for (const a of ancestors(r)) flaggedBelow.set(a.targetGroupId, (flaggedBelow.get(a.targetGroupId) ?? 0) + 1);
  return { ancestors, flaggedBelow: (r: R) => flaggedBelow.get(r.targetGroupId) ?? 0 };
}

/**
 * The assessment a row shows: its flag in words, a badge for a warning, and, for a group whose
 * sub-groups hold findings, how many ("I orden samlet – 1 undergruppe underforsynet").
 */
export function verdictOf(flag: string, below: number, t: Translate) {
  return {
    label: t(flag === 'ok' && below > 0 ? 'reports.flag.okOverall' : `reports.flag.${flag}`),
    badge: FINDINGS.has(flag) ? 'badge-error' : flag === 'no_estimate' ? 'badge-warning' : null,
    below: below > 0 ? t('reports.flaggedBelow', { count: below }) : null,
  };
}

const PATH_MARK = '\u0000';
/**
 * Between the groups of a finding's path, as HTML: written as text, the arrow (beyond Latin-1) sent
 * the finding's whole line through the escape's slowest path (some 40 findings a report).
 */
const PATH_SEPARATOR = htmlJoin(' › ');

/**
 * The report's finding, first on the page: the underserved groups and those with no offer, at any
 * depth, worst first, each with where it sits, its index, and links to its row and to what is behind it.
 */
function findingsOf(
  report: Report,
  page: { base: Html; expand: Set<number>; family: ReturnType<typeof groupFamily<Report['rows'][number]>> },
  drill: ReturnType<typeof drillLinks>,
  locale: Locale,
  t: Translate,
) {
  const { base, expand, family } = page;
  // "under {path}", its words around the path translated once for the page.
  const [before = '', after = ''] = t('reports.findings.under', { path: PATH_MARK }).split(PATH_MARK);
  return report.rows
    .filter((r) => FINDINGS.has(r.flag))
    .map((r) => {
      const up = family.ancestors(r);
      return {
        id: r.targetGroupId,
        name: groupName(r, locale),
        under: up.length
          ? htmlJoin(before, ...up.flatMap((a, i) => [i ? PATH_SEPARATOR : '', groupName(a, locale)]).reverse(), after)
          : null,
        index: r.index === null ? null : indexFormats[locale](r.index),
        label: t(`reports.flag.${r.flag}`),
        row: htmlJoin(
          PROPORTIONALITY,
          withExpandedHtml(base, new Set([...expand, ...up.map((a) => a.targetGroupId)])),
          '#group-',
          r.targetGroupId,
        ),
        ...drill(r),
      };
    });
}

/** The proportionality page: the visible tree with its toggles, the chart, the links and the menus. */
export function proportionalityView(
  report: Report,
  params: ReportParams,
  expand: Set<number>,
  places: Place[],
  locale: Locale,
  t: Translate,
) {
  const visible = visibleTree(report.rows, expand);
  const scope = params.scope;
  const scopeName =
    scope.kind === 'national'
      ? t('reports.national')
      : scope.kind === 'region'
        ? (places.find((m) => m.regionCode === scope.code)?.regionName ?? '')
        : (places.find((m) => m.code === scope.code)?.name ?? '');
  const chart = proportionalityChart(
    visible.map((v) => ({
      label: groupName(v.row, locale),
      needShare: v.row.needShare,
      fundingShare: v.row.fundingShare,
      flagged: WARNINGS.has(v.row.flag),
    })),
    {
      title: t('reports.chart.title', { scope: scopeName }),
      description: t('reports.chart.description'),
      need: t('reports.col.needShare'),
      funding: t('reports.col.fundingShare'),
      percent: percent(locale),
    },
  );
  // What the findings and the rows share: the family tree, the report's query, the links behind a group.
  const family = groupFamily(report.rows);
  const base = queryBase(params);
  const query = withExpanded(base, expand);
  const drill = drillLinks(params, query);
  const baseHtml = htmlJoin(base);
  return {
    report,
    params,
    scopeName,
    area: areaOf(scope),
    findings: findingsOf(report, { base: baseHtml, expand, family }, drill, locale, t),
    visible: visible.map((v) => ({
      ...v,
      name: groupName(v.row, locale),
      index: v.row.index === null ? '–' : indexFormats[locale](v.row.index),
      verdict: verdictOf(v.row.flag, family.flaggedBelow(v.row), t),
      toggle: withExpandedHtml(
        baseHtml,
        v.expanded ? [...expand].filter((e) => e !== v.row.targetGroupId) : [...expand, v.row.targetGroupId],
      ),
    })),
    chart,
    query,
    exportQuery: base,
    regions: regionsOf(places),
    municipalities: places,
    percent: percent(locale),
    drill,
  };
}

/** The proportionality report as a table for CSV and XLSX: header, rows and a file name. */
export function proportionalityTable(report: Report, params: ReportParams, locale: Locale, t: Translate) {
  const header = [
    t('actors.targetGroup'),
    t('reports.col.level'),
    t('reports.col.need'),
    t('reports.col.needShare'),
    t('reports.col.awarded'),
    t('reports.col.inKind'),
    t('reports.col.fundingShare'),
    t('reports.col.perPerson'),
    t('reports.col.actors'),
    t('reports.col.agreements'),
    t('reports.col.outreach'),
    t('reports.col.reached'),
    t('reports.col.index'),
    t('reports.col.flag'),
  ];
  const share = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);
  const rows: CsvCell[][] = report.rows.map((r) => [
    groupName(r, locale),
    r.level,
    r.needPeople,
    share(r.needShare),
    { oere: r.awardedOre },
    { oere: r.inKindOre },
    share(r.fundingShare),
    r.orePerPerson === null ? null : { oere: r.orePerPerson },
    r.actorCount,
    r.agreementCount,
    r.outreachCount,
    r.reachedPeople,
    share(r.index),
    t(`reports.flag.${r.flag}`),
  ]);
  const years = `${params.yearFrom}${params.yearTo !== params.yearFrom ? `-${params.yearTo}` : ''}`;
  const name = `proportionalitet-${areaOf(params.scope).replace(':', '-')}-${years}`;
  return { header, rows, name };
}

/** Shared actors listed per page. */
const SHARED_PAGE_SIZE = 50;

/** What the matrix's cell of a municipality with itself holds. */
const SELF = htmlJoin('–');
/** The matrix is shown for two municipalities up to a region's (29); not for the country's 98. */
const MATRIX_MAX = 40;

/**
 * One page of the shared actors (the matrix counts them all), with links to the other pages, and the
 * matrix's rows of counts as HTML.
 */
export function sharedActorsPage(result: SharedActors, page: number, regionCode: number | undefined, year: number) {
  const pages = Math.max(1, Math.ceil(result.actors.length / SHARED_PAGE_SIZE));
  const shownPage = Math.min(page, pages);
  const link = (p: number) =>
    `/reports/shared-actors?${new URLSearchParams({
      regionCode: regionCode === undefined ? 'all' : String(regionCode),
      year: String(year),
      ...(p > 1 ? { page: String(p) } : {}),
    })}`;
  return {
    shown: result.actors.slice((shownPage - 1) * SHARED_PAGE_SIZE, shownPage * SHARED_PAGE_SIZE),
    // Built only where it is shown: the country's would be 9,604 cells thrown away.
    matrixCells:
      result.municipalities.length > 1 && result.municipalities.length <= MATRIX_MAX
        ? result.matrix.map((row, i) => numberCells(row.shared, i, SELF))
        : [],
    page: shownPage,
    pages,
    link,
  };
}
