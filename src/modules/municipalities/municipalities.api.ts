import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { municipalitySchema } from './municipalities.schemas.ts';

export const municipalitiesApi: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/v1/municipalities',
    {
      schema: {
        tags: ['reference'],
        summary: 'The 98 Danish municipalities with their regions',
        response: { 200: z.array(municipalitySchema), ...errorResponses(401) },
      },
    },
    async () => app.services.municipalities.all(),
  );
};
