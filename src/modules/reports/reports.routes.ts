import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { danishDate } from '../../lib/dates.ts';
import { formatNumber } from '../../lib/format.ts';
import { lenientQuery, pageFilters } from '../../lib/forms.ts';
import { rowIdParam } from '../../lib/ids.ts';
import { type TableFormat, tableFile } from '../../lib/spreadsheet.ts';
import { pageView } from '../../plugins/page-answers.ts';
import { municipalityCodeParam, regionCodeParam } from '../municipalities/municipalities.schemas.ts';
import type { Scope } from './reports.repository.ts';
import { sharedActorsQuery } from './reports.schemas.ts';
import {
  proportionalityTable,
  proportionalityView,
  regionsOf,
  reportParams,
  sharedActorsPage,
} from './reports.view.ts';

const year = z.coerce.number().int().min(2000).max(2100);

/** The report page's choices. `area` is national, region:<code> or municipality:<code>. */
const reportForm = z.object({
  area: z
    .string()
    .regex(/^(national|region:\d{4}|municipality:\d{3})$/)
    .optional()
    .catch(undefined),
  municipalityCode: municipalityCodeParam.optional().catch(undefined),
  regionCode: regionCodeParam.optional().catch(undefined),
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
    .union([rowIdParam, z.array(rowIdParam).max(200)])
    .optional()
    .catch(undefined),
});

/**
 * The shared actors' page: the API's query (sharedActorsQuery), each field dropped when malformed,
 * with `all` for a region (the whole country, where no region means the user's own), and the page.
 */
const sharedActorsForm = pageFilters(sharedActorsQuery).extend({
  regionCode: z
    .union([z.literal('all'), sharedActorsQuery.shape.regionCode.unwrap()])
    .optional()
    .catch(undefined),
});
const duplicatesForm = lenientQuery(sharedActorsQuery.pick({ regionCode: true }));

export const reportsRoutes: FastifyPluginAsync = async (app) => {
  const { reports, municipalities } = app.services;

  const paramsFrom = (request: FastifyRequest) =>
    reportParams(
      reportForm.parse(request.query ?? {}),
      request.principal.municipalityCode,
      Number(danishDate().slice(0, 4)),
    );

  app.get('/reports/proportionality', async (request, reply) => {
    const { params, expand } = paramsFrom(request);
    const partial = request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'report';
    const template = partial ? 'reports/_proportionality' : 'reports/proportionality';
    const build = async () => {
      const [report, allMunicipalities] = await Promise.all([reports.proportionality(params), municipalities.all()]);
      // The view model made as the page is rendered (page-answers.ts).
      return pageView(() => ({
        ...proportionalityView(report, params, expand, allMunicipalities, request.locale, (k, p) => request.t(k, p)),
        title: request.t('reports.proportionality'),
      }));
    };
    return reply.page(template, build, { cache: { for: 'shared', tags: await reports.tagsOf(params.scope) } });
  });

  /** The report as CSV or XLSX (the API sends the same file: reports.api.ts). */
  const proportionalityFile = (format: TableFormat) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { params } = paramsFrom(request);
    const t = (k: string) => request.t(k);
    const table = proportionalityTable(await reports.proportionality(params), params, request.locale, t);
    const file = await tableFile(format, { ...table, sheet: t('reports.proportionality') });
    return reply.type(file.contentType).header('content-disposition', file.disposition).send(file.body);
  };
  app.get('/reports/proportionality/export.csv', proportionalityFile('csv'));
  app.get('/reports/proportionality/export.xlsx', proportionalityFile('xlsx'));

  app.get('/reports/shared-actors', async (request, reply) => {
    const allMunicipalities = await municipalities.all();
    const own = allMunicipalities.find((m) => m.code === request.principal.municipalityCode);
    const q = sharedActorsForm.parse(request.query ?? {});
    const regionCode = q.regionCode === 'all' ? undefined : (q.regionCode ?? own?.regionCode);
    const reportYear = q.year ?? Number(danishDate().slice(0, 4));
    // The suspected duplicates take longer: the page loads them after (htmx), or links to them.
    const scope: Scope = regionCode === undefined ? { kind: 'national' } : { kind: 'region', code: regionCode };
    const build = async () => {
      const [result, municipalityNames] = await Promise.all([
        reports.sharedActors(scope, reportYear, { duplicates: false }),
        municipalities.names(),
      ]);
      return pageView(() => ({
        title: request.t('reports.shared'),
        result,
        // A region shares hundreds of actors: a page of them at a time, the matrix counting them all.
        ...sharedActorsPage(result, q.page, regionCode, reportYear),
        regionCode,
        year: reportYear,
        regions: regionsOf(allMunicipalities),
        municipalityNames,
        formatShare: (n: number) => formatNumber(n, request.locale),
      }));
    };
    return reply.page('reports/shared-actors', build, { cache: { for: 'shared', tags: await reports.tagsOf(scope) } });
  });

  app.get('/reports/shared-actors/duplicates', async (request, reply) => {
    const { regionCode } = duplicatesForm.parse(request.query ?? {});
    const [duplicates, municipalityNames] = await Promise.all([
      reports.suspectedDuplicates(
        regionCode === undefined ? { kind: 'national' } : { kind: 'region', code: regionCode },
      ),
      municipalities.names(),
    ]);
    const data = { title: request.t('reports.duplicates'), duplicates, regionCode, municipalityNames };
    const partial = request.headers['hx-request'] === 'true';
    return reply.page(partial ? 'reports/_duplicates' : 'reports/duplicates', data);
  });
};
