import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageOf, pageOfSchema, pageQuery } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';
import { localTargetGroupInput, targetGroupSchema } from './target-groups.schemas.ts';

const toApi = (r: z.infer<typeof targetGroupSchema>) => ({
  id: r.id,
  ffbCode: r.ffbCode,
  nameDa: r.nameDa,
  nameEn: r.nameEn,
  parentId: r.parentId,
  municipalityCode: r.municipalityCode,
});

export const targetGroupsApi: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.targetGroups;

  app.get(
    '/api/v1/target-groups',
    {
      schema: {
        tags: ['reference'],
        summary: 'The FFB target-group tree and local groups',
        querystring: z.object({
          municipalityCode: municipalityCodeParam.optional().describe('Only FFB groups and this municipality’s own'),
          ...pageQuery.shape,
        }),
        response: { 200: pageOfSchema(targetGroupSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => pageOf((await service.list(request.query.municipalityCode)).map(toApi), request.query),
  );

  app.post(
    '/api/v1/target-groups',
    {
      schema: {
        tags: ['reference'],
        summary: 'Add a local target group under any group',
        body: localTargetGroupInput,
        response: { 201: targetGroupSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(toApi(await service.addLocal(request.principal, request.body))),
  );
};
