import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { municipalitySchema } from './municipalities.schemas.ts';

export const municipalitiesApi: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/v1/municipalities',
    {
      schema: {
        tags: ['reference'],
        summary: 'The 98 Danish municipalities with their regions',
        response: { 200: z.array(municipalitySchema) },
      },
    },
    async () => app.services.municipalities.all(),
  );
};
