import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { validationFailed } from '../../lib/errors.ts';
import { rowIdParams } from '../../lib/ids.ts';
import { pageOf, pageOfSchema, pageQuery } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { versionFrom } from '../actors/actors.api.ts';
import { outreachInput, outreachListQuery, outreachPatch, outreachSchema } from './outreach.schemas.ts';

export const outreachApi: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.outreach;

  app.get(
    '/api/v1/outreach',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Outreach presence at actors’ venues: casework, counselling or health checks',
        querystring: outreachListQuery.extend(pageQuery.shape),
        response: { 200: pageOfSchema(outreachSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => pageOf(await service.list(request.query), request.query),
  );

  app.post(
    '/api/v1/outreach',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Record outreach presence (coordinator or admin, own municipality)',
        description:
          'Weekdays with from–to times, or single dates, within a period. Times are Danish local time. Refused (400, on the field): a period holding none of the weekdays (`weekdays`), and a time in the hour skipped when summer time begins, 02:00–02:59 on the last Sunday of March, on a day the outreach is held (`startsAt`/`endsAt`).',
        body: outreachInput,
        response: { 201: outreachSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(request.principal, request.body)),
  );

  app.get(
    '/api/v1/outreach/:id',
    {
      schema: {
        tags: ['agreements'],
        summary: 'One outreach presence',
        params: rowIdParams,
        response: { 200: outreachSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => service.get(request.params.id),
  );

  app.patch(
    '/api/v1/outreach/:id',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Change an outreach presence, e.g. end its period',
        params: rowIdParams,
        body: outreachPatch,
        response: { 200: outreachSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      return service.update(request.principal, request.params.id, { ...request.body, version });
    },
  );
};
