import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type CsvCell, toDanishCsv } from '../../lib/csv.ts';
import { danishDate } from '../../lib/dates.ts';
import { formatNumber } from '../../lib/format.ts';
import { toXlsx } from '../../lib/spreadsheet.ts';
import { proportionalityChart } from './reports.chart.ts';
import type { ReportParams, Scope } from './reports.repository.ts';

const id = z.coerce.number().int().positive().max(2_147_483_647);
const year = z.coerce.number().int().min(2000).max(2100);

/** The report page's choices. `area` is national, region:<code> or municipality:<code>. */
const reportForm = z.object({
  area: z
    .string()
    .regex(/^(national|region:\d{4}|municipality:\d{3})$/)
    .optional()
    .catch(undefined),
  municipalityCode: z.coerce.number().int().min(101).max(999).optional().catch(undefined),
  regionCode: z.coerce.number().int().min(1081).max(1085).optional().catch(undefined),
  scope: z.enum(['national']).optional().catch(undefined),
  year: year.optional().catch(undefined),
  yearFrom: year.optional().catch(undefined),
  yearTo: year.optional().catch(undefined),
  // Typed the Danish way (0,3) or not (0.3).
  threshold: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().replace(',', '.') : v),
    z.coerce.number().min(0).max(10).optional().catch(undefined),
  ),
  expand: z
    .union([id, z.array(id).max(200)])
    .optional()
    .catch(undefined),
});

type Row = Awaited<ReturnType<FastifyRequest['server']['services']['reports']['proportionality']>>['rows'][number];

function scopeOf(f: z.infer<typeof reportForm>, own: number | null): Scope {
  if (f.area === 'national' || f.scope === 'national') return { kind: 'national' };
  if (f.area?.startsWith('region:')) return { kind: 'region', code: Number(f.area.slice(7)) };
  if (f.area?.startsWith('municipality:')) return { kind: 'municipality', code: Number(f.area.slice(13)) };
  if (f.regionCode !== undefined) return { kind: 'region', code: f.regionCode };
  return { kind: 'municipality', code: f.municipalityCode ?? own ?? 101 };
}

/** Shared actors listed per page. */
const SHARED_PAGE_SIZE = 50;

const areaOf = (s: Scope) => (s.kind === 'national' ? 'national' : `${s.kind}:${s.code}`);

export const reportsRoutes: FastifyPluginAsync = async (app) => {
  const { reports, municipalities } = app.services;

  function paramsFrom(request: FastifyRequest) {
    const f = reportForm.parse(request.query ?? {});
    const scope = scopeOf(f, request.principal.municipalityCode);
    const thisYear = Number(danishDate().slice(0, 4));
    let yearFrom = f.yearFrom ?? f.year ?? thisYear;
    let yearTo = f.yearTo ?? f.year ?? yearFrom;
    if (yearTo < yearFrom) [yearFrom, yearTo] = [yearTo, yearFrom];
    if (yearTo - yearFrom > 20) yearTo = yearFrom + 20;
    const params: ReportParams = { scope, yearFrom, yearTo, threshold: f.threshold ?? 0.5 };
    const expand = new Set(f.expand === undefined ? [] : Array.isArray(f.expand) ? f.expand : [f.expand]);
    return { params, expand };
  }

  /** The query string that reproduces the report, optionally with another set of expanded groups. */
  function queryOf(params: ReportParams, expand: Iterable<number> = []) {
    const q = new URLSearchParams({ area: areaOf(params.scope) });
    if (params.yearFrom === params.yearTo) q.set('year', String(params.yearFrom));
    else {
      q.set('yearFrom', String(params.yearFrom));
      q.set('yearTo', String(params.yearTo));
    }
    if (params.threshold !== 0.5) q.set('threshold', String(params.threshold));
    for (const e of expand) q.append('expand', String(e));
    return `?${q.toString()}`;
  }

  /** Rows in tree order (siblings worst first, as the report sorts them), down to the expanded groups. */
  function visibleTree(rows: Row[], expand: Set<number>) {
    const byParent = new Map<number | null, Row[]>();
    for (const r of rows) byParent.set(r.parentId, [...(byParent.get(r.parentId) ?? []), r]);
    const out: { row: Row; depth: number; hasChildren: boolean; expanded: boolean }[] = [];
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

  const percentFormats = {
    da: new Intl.NumberFormat('da-DK', { maximumFractionDigits: 1 }),
    en: new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }),
  };
  const percent = (locale: 'da' | 'en') => (share: number) => `${percentFormats[locale].format(share * 100)} %`;

  app.get('/reports/proportionality', async (request, reply) => {
    const { params, expand } = paramsFrom(request);
    const partial = request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'report';
    const template = partial ? 'reports/_proportionality' : 'reports/proportionality';
    return reply.renderShared(template, { title: request.t('reports.proportionality'), partial }, async () => {
      const [report, allMunicipalities] = await Promise.all([reports.proportionality(params), municipalities.all()]);
      const visible = visibleTree(report.rows, expand);
      const name = (r: Row) => (request.locale === 'en' ? (r.nameEn ?? r.nameDa) : r.nameDa);
      const scopeName =
        params.scope.kind === 'national'
          ? request.t('reports.national')
          : params.scope.kind === 'region'
            ? (allMunicipalities.find((m) => m.regionCode === (params.scope as { code: number }).code)?.regionName ??
              '')
            : (allMunicipalities.find((m) => m.code === (params.scope as { code: number }).code)?.name ?? '');
      const chart = proportionalityChart(
        visible.map((v) => ({
          label: name(v.row),
          needShare: v.row.needShare,
          fundingShare: v.row.fundingShare,
          flagged: v.row.flag !== 'ok',
        })),
        {
          title: request.t('reports.chart.title', { scope: scopeName }),
          description: request.t('reports.chart.description'),
          need: request.t('reports.col.needShare'),
          funding: request.t('reports.col.fundingShare'),
          percent: percent(request.locale),
        },
      );
      const regions = [...new Map(allMunicipalities.map((m) => [m.regionCode, m.regionName])).entries()].sort(
        (a, b) => a[0] - b[0],
      );
      const data = {
        report,
        params,
        scopeName,
        area: areaOf(params.scope),
        visible: visible.map((v) => ({
          ...v,
          name: name(v.row),
          toggle: queryOf(
            params,
            v.expanded ? [...expand].filter((e) => e !== v.row.targetGroupId) : [...expand, v.row.targetGroupId],
          ),
        })),
        chart,
        query: queryOf(params, expand),
        exportQuery: queryOf(params),
        regions,
        municipalities: allMunicipalities,
        percent: percent(request.locale),
        drill: (r: Row) => {
          const where =
            params.scope.kind === 'municipality'
              ? { municipalityCode: params.scope.code }
              : params.scope.kind === 'region'
                ? { regionCode: params.scope.code }
                : {};
          const q = new URLSearchParams({ targetGroupId: String(r.targetGroupId) });
          for (const [k, v] of Object.entries(where)) q.set(k, String(v));
          const grants = new URLSearchParams(q);
          if (params.yearFrom === params.yearTo) grants.set('year', String(params.yearFrom));
          const actors = new URLSearchParams({ targetGroupId: String(r.targetGroupId) });
          if (params.scope.kind === 'municipality') actors.set('municipalityCode', String(params.scope.code));
          return { grants: `/grants?${grants}`, actors: `/actors?${actors}` };
        },
      };
      return data;
    });
  });

  async function exportRows(request: FastifyRequest) {
    const { params } = paramsFrom(request);
    const report = await reports.proportionality(params);
    const t = (k: string) => request.t(k);
    const header = [
      t('actors.targetGroup'),
      t('reports.col.level'),
      t('reports.col.need'),
      t('reports.col.needShare'),
      t('reports.col.awarded'),
      t('reports.col.inKind'),
      t('reports.col.fundingShare'),
      t('reports.col.krPerPerson'),
      t('reports.col.actors'),
      t('reports.col.agreements'),
      t('reports.col.outreach'),
      t('reports.col.index'),
      t('reports.col.flag'),
    ];
    const share = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);
    const rows: CsvCell[][] = report.rows.map((r) => [
      request.locale === 'en' ? (r.nameEn ?? r.nameDa) : r.nameDa,
      r.level,
      r.needPeople,
      share(r.needShare),
      { oere: r.awardedOre },
      { oere: r.inKindOre },
      share(r.fundingShare),
      r.krPerPerson,
      r.actorCount,
      r.agreementCount,
      r.outreachCount,
      share(r.index),
      t(`reports.flag.${r.flag}`),
    ]);
    const name = `proportionalitet-${areaOf(params.scope).replace(':', '-')}-${params.yearFrom}${params.yearTo !== params.yearFrom ? `-${params.yearTo}` : ''}`;
    return { header, rows, name };
  }

  app.get('/reports/proportionality/export.csv', async (request, reply) => {
    const { header, rows, name } = await exportRows(request);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(toDanishCsv(header, rows));
  });

  app.get('/reports/proportionality/export.xlsx', async (request, reply) => {
    const { header, rows, name } = await exportRows(request);
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="${name}.xlsx"`)
      .send(await toXlsx(request.t('reports.proportionality'), header, rows));
  });

  app.get('/reports/shared-actors', async (request, reply) => {
    return reply.renderShared('reports/shared-actors', { title: request.t('reports.shared') }, async () => {
      const allMunicipalities = await municipalities.all();
      const own = allMunicipalities.find((m) => m.code === request.principal.municipalityCode);
      const q = z
        .object({
          regionCode: z
            .union([z.literal('all'), z.coerce.number().int().min(1081).max(1085)])
            .optional()
            .catch(undefined),
          year: year.optional().catch(undefined),
          page: z.coerce.number().int().min(1).max(10_000).default(1).catch(1),
        })
        .parse(request.query ?? {});
      const regionCode = q.regionCode === 'all' ? undefined : (q.regionCode ?? own?.regionCode);
      const reportYear = q.year ?? Number(danishDate().slice(0, 4));
      // The suspected duplicates take longer: the page loads them after (htmx), or links to them.
      const result = await reports.sharedActors(
        regionCode === undefined ? { kind: 'national' } : { kind: 'region', code: regionCode },
        reportYear,
        { duplicates: false },
      );
      const regions = [...new Map(allMunicipalities.map((m) => [m.regionCode, m.regionName])).entries()].sort(
        (a, b) => a[0] - b[0],
      );
      // A region shares hundreds of actors: a page of them at a time, the matrix counting them all.
      const pages = Math.max(1, Math.ceil(result.actors.length / SHARED_PAGE_SIZE));
      const page = Math.min(q.page, pages);
      const link = (p: number) =>
        `/reports/shared-actors?${new URLSearchParams({
          regionCode: regionCode === undefined ? 'all' : String(regionCode),
          year: String(reportYear),
          ...(p > 1 ? { page: String(p) } : {}),
        })}`;
      return {
        result,
        shown: result.actors.slice((page - 1) * SHARED_PAGE_SIZE, page * SHARED_PAGE_SIZE),
        page,
        pages,
        link,
        regionCode,
        year: reportYear,
        regions,
        municipalityNames: Object.fromEntries(allMunicipalities.map((m) => [m.code, m.name])),
        formatShare: (n: number) => formatNumber(n, request.locale),
      };
    });
  });

  app.get('/reports/shared-actors/duplicates', async (request, reply) => {
    const { regionCode } = z
      .object({ regionCode: z.coerce.number().int().min(1081).max(1085).optional().catch(undefined) })
      .parse(request.query ?? {});
    const [duplicates, allMunicipalities] = await Promise.all([
      reports.suspectedDuplicates(
        regionCode === undefined ? { kind: 'national' } : { kind: 'region', code: regionCode },
      ),
      municipalities.all(),
    ]);
    const data = {
      duplicates,
      regionCode,
      municipalityNames: Object.fromEntries(allMunicipalities.map((m) => [m.code, m.name])),
    };
    const partial = request.headers['hx-request'] === 'true';
    return reply.render(partial ? 'reports/_duplicates' : 'reports/duplicates', data);
  });
};
