import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationFailed } from '../../lib/errors.ts';
import { oreTotal } from '../../lib/money.ts';
import { type TableFormat, tableFile } from '../../lib/spreadsheet.ts';
import { errorResponses, fileResponse } from '../../plugins/api-schemas.ts';
import {
  exportQuery,
  proportionalityQuery,
  proportionalitySchema,
  reportParamsFrom,
  scopeFrom,
  sharedActorsQuery,
} from './reports.schemas.ts';
import { proportionalityTable } from './reports.view.ts';

const sharedActorsSchema = z.object({
  scope: z.string(),
  year: z.number().int(),
  actors: z.array(
    z.object({
      actorId: z.number().int(),
      name: z.string(),
      cvr: z.string().nullable(),
      totalAwardedOre: oreTotal,
      fundedBy: z.array(z.number().int()).describe('Municipalities that awarded it money in the year'),
      servedUnfunded: z.array(z.number().int()).describe('Municipalities it works in without their money'),
      municipalities: z.array(
        z.object({
          municipalityCode: z.number().int(),
          name: z.string(),
          worksThere: z.boolean(),
          awardedOre: oreTotal,
          agreementCount: z.number().int(),
        }),
      ),
    }),
  ),
  municipalities: z.array(z.object({ code: z.number().int(), name: z.string() })),
  matrix: z
    .array(z.object({ municipalityCode: z.number().int(), shared: z.array(z.number().int()) }))
    .describe('Row i, column j: the actors municipalities[i] and municipalities[j] share'),
  suspectedDuplicates: z.array(
    z.object({
      aId: z.number().int(),
      aName: z.string(),
      aCvr: z.string().nullable(),
      aHome: z.number().int(),
      bId: z.number().int(),
      bName: z.string(),
      bCvr: z.string().nullable(),
      bHome: z.number().int(),
      similarity: z.number(),
      reason: z.enum(['same_cvr', 'similar_name']),
    }),
  ),
});

export const reportsApi: FastifyPluginAsyncZod = async (app) => {
  const reports = app.services.reports;

  /** The proportionality report as a file: the route's schema and handler for one format. */
  const proportionalityFile = (format: TableFormat) => ({
    schema: {
      tags: ['reports'],
      summary: `The proportionality report as ${format === 'csv' ? 'CSV' : 'an Excel workbook'}`,
      description:
        'The rows of GET /api/v1/reports/proportionality with the same query, as the report page downloads them ' +
        '(money in kroner, shares and the index to four decimals), in the language of Accept-Language.',
      querystring: proportionalityQuery,
      response: { 200: fileResponse(format), ...errorResponses(400, 401) },
    },
    handler: async (
      request: FastifyRequest<{ Querystring: z.infer<typeof proportionalityQuery> }>,
      reply: FastifyReply,
    ) => {
      const params = reportParamsFrom(request.query);
      const t = (k: string) => request.t(k);
      const table = proportionalityTable(await reports.proportionality(params), params, request.locale, t);
      const file = await tableFile(format, { ...table, sheet: t('reports.proportionality') });
      return reply.type(file.contentType).header('content-disposition', file.disposition).send(file.body);
    },
  });
  app.get('/api/v1/exports/proportionality.csv', proportionalityFile('csv'));
  app.get('/api/v1/exports/proportionality.xlsx', proportionalityFile('xlsx'));

  app.get(
    '/api/v1/reports/proportionality',
    {
      schema: {
        tags: ['reports'],
        summary: 'Does the money follow the need? Per target group: need, funding, offer, index and flag',
        description:
          'Give one of municipalityCode, regionCode or scope=national, and year (or yearFrom and yearTo). Flags: no_offer (need but no actor and no grant), underserved (index below threshold), no_estimate (money but no need estimated), ok. Allocations to a sub-group count for each ancestor once; totals count each grant and each person once.',
        querystring: proportionalityQuery,
        response: { 200: proportionalitySchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => reports.proportionality(reportParamsFrom(request.query)),
  );

  app.get(
    '/api/v1/reports/shared-actors',
    {
      schema: {
        tags: ['reports'],
        summary: 'Actors that two or more municipalities share, a matrix of them, and suspected duplicates',
        querystring: sharedActorsQuery,
        response: { 200: sharedActorsSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      reports.sharedActors(
        request.query.regionCode === undefined
          ? { kind: 'national' }
          : { kind: 'region', code: request.query.regionCode },
        request.query.year,
      ),
  );

  app.get(
    '/api/v1/exports/360giving',
    {
      schema: {
        tags: ['reports'],
        summary: 'A municipality’s or a region’s awarded grants of a year, as a 360Giving data package',
        description:
          'Valid against the 360Giving Data Standard 1.4 package schema. Recipients are DK-CVR-<cvr>, or 360G-samspil-actor-<id> without a CVR; funders 360G-samspil-kommune-<code>; beneficiaryLocation holds the municipality code; classifications the FFB target groups. In-kind support has amountAwarded 0 and its value in fundingType. dataSource is this URL. 404 when the area and year have no awarded grant (the standard requires one) or the municipality code is unknown.',
        querystring: exportQuery,
        response: { 200: z.record(z.string(), z.unknown()), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { municipalityCode, regionCode, year } = request.query;
      if (municipalityCode === undefined && regionCode === undefined)
        throw validationFailed({ scope: ['reports.exportScopeRequired'] });
      const scope = scopeFrom({ municipalityCode, regionCode });
      const base = `${request.protocol}://${request.host}`;
      return reply
        .header('content-disposition', `attachment; filename="360giving-${scope.kind}-${year}.json"`)
        .send(await reports.openData360(scope, year, base));
    },
  );
};
