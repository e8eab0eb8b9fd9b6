import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageOf, pageOfSchema, pageQuery } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { municipalitySchema } from './municipalities.schemas.ts';

export const municipalitiesApi: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/v1/municipalities',
    {
      schema: {
        tags: ['reference'],
        summary: 'The 98 Danish municipalities with their regions, by code',
        querystring: pageQuery,
        response: { 200: pageOfSchema(municipalitySchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => pageOf(await app.services.municipalities.all(), request.query),
  );
};
