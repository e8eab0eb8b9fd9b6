import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { rowIdParams } from '../../lib/ids.ts';
import { pageOfSchema } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { publicRoundDetailSchema, publicRoundQuery, publicRoundSchema } from './public.schemas.ts';

/**
 * The public data of the § 18 rounds as JSON, with no API key: the same as the public pages show.
 * The auth plugin lets /api/v1/public/ through without a token.
 */
export const publicApi: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.publicRounds;

  app.get(
    '/api/v1/public/rounds',
    {
      schema: {
        tags: ['public'],
        summary: 'Public § 18 rounds of every municipality (no API key needed)',
        description:
          'Rounds with an application window or further on (a planned round without one is not public), newest year first. Each has its description, prioritised target groups and criteria.',
        security: [],
        querystring: publicRoundQuery,
        response: { 200: pageOfSchema(publicRoundSchema), ...errorResponses(400) },
      },
    },
    async (request) => service.rounds(request.query),
  );

  app.get(
    '/api/v1/public/rounds/:id',
    {
      schema: {
        tags: ['public'],
        summary: 'One public § 18 round, with its distribution list once decided (no API key needed)',
        description:
          'The distribution list holds the awarded grants (approved, paid, accounted or closed) by organisation name: never a person, and no application that was rejected or withdrawn.',
        security: [],
        params: rowIdParams,
        response: { 200: publicRoundDetailSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => service.round(request.params.id),
  );
};
