import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageOf, pageOfSchema, pageQuery } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { needEstimateInput, needEstimateQuery, needEstimateSchema } from './need-estimates.schemas.ts';

export const needEstimatesApi: FastifyPluginAsyncZod = async (app) => {
  const needs = app.services.needEstimates;

  app.get(
    '/api/v1/need-estimates',
    {
      schema: {
        tags: ['need estimates'],
        summary: 'A municipality’s need estimates (people per target group) for a year',
        querystring: needEstimateQuery.extend(pageQuery.shape),
        response: { 200: pageOfSchema(needEstimateSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => pageOf(await needs.list(request.query.municipalityCode, request.query.year), request.query),
  );

  app.put(
    '/api/v1/need-estimates',
    {
      schema: {
        tags: ['need estimates'],
        summary: 'Replace a municipality’s need estimates for a year with these (finance or admin)',
        description:
          'Groups left out lose their estimate. A group may be an FFB group at any level or a local group of the municipality, once each.',
        querystring: needEstimateQuery,
        body: z.array(needEstimateInput).max(2000),
        response: {
          200: pageOfSchema(needEstimateSchema).describe('All the estimates the year now holds'),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const items = await needs.replace(
        request.principal,
        request.query.municipalityCode,
        request.query.year,
        request.body,
      );
      return { items, total: items.length };
    },
  );
};
