import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationFailed } from '../../lib/errors.ts';
import { bigRowIdParam, rowIdParams } from '../../lib/ids.ts';
import { oreTotal } from '../../lib/money.ts';
import { pageOfSchema } from '../../lib/pagination.ts';
import { type TableFormat, tableFile } from '../../lib/spreadsheet.ts';
import { errorResponses, fileResponse } from '../../plugins/api-schemas.ts';
import { versionFrom } from '../actors/actors.api.ts';
import { grantExport } from './grants.export.ts';
import {
  grantCreate,
  grantListQuery,
  grantPatch,
  grantSchema,
  grantTransition,
  paymentCorrection,
  roundInput,
  roundListQuery,
  roundPatch,
  roundSchema,
} from './grants.schemas.ts';

const grantExportQuery = grantListQuery.omit({ limit: true, offset: true });

export const grantsApi: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.grants;

  /** The grant list as a file: the route's schema and handler for one format. */
  const grantsFile = (format: TableFormat) => ({
    schema: {
      tags: ['grants'],
      summary: `The grant list as ${format === 'csv' ? 'CSV' : 'an Excel workbook'}, filtered as GET /api/v1/grants`,
      description:
        'The whole filtered list (no paging), with the columns and names of the page’s download (/grants/export.' +
        `${format}), in the language of Accept-Language. Samspil’s own grant CSV imports back to nothing to do.`,
      querystring: grantExportQuery,
      response: { 200: fileResponse(format), ...errorResponses(400, 401) },
    },
    handler: async (
      request: FastifyRequest<{ Querystring: z.infer<typeof grantExportQuery> }>,
      reply: FastifyReply,
    ) => {
      const file = await tableFile(format, await grantExport(app.services, request.query, (k) => request.t(k)));
      return reply.type(file.contentType).header('content-disposition', file.disposition).send(file.body);
    },
  });
  app.get('/api/v1/exports/grants.csv', grantsFile('csv'));
  app.get('/api/v1/exports/grants.xlsx', grantsFile('xlsx'));

  app.get(
    '/api/v1/grant-rounds',
    {
      schema: {
        tags: ['grants'],
        summary: '§ 18 grant rounds, each with its overview (awarded, remaining, paid …)',
        description: 'Newest year first, then by municipality code and name.',
        querystring: roundListQuery,
        response: { 200: pageOfSchema(roundSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => service.pageRounds(request.query),
  );

  app.post(
    '/api/v1/grant-rounds',
    {
      schema: {
        tags: ['grants'],
        summary: 'Create a grant round (finance or admin, own municipality)',
        body: roundInput,
        response: { 201: roundSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createRound(request.principal, request.body)),
  );

  app.get(
    '/api/v1/grant-rounds/:id',
    {
      schema: {
        tags: ['grants'],
        summary: 'One grant round with its overview, and the same split by target group',
        description:
          'byTargetGroup rolls up the FFB tree and local groups: an allocation to a sub-group counts for it and for each ancestor once. Paid is shared out in proportion to the allocations.',
        params: rowIdParams,
        response: {
          200: roundSchema.extend({
            byTargetGroup: z.array(
              z.object({
                targetGroupId: z.number().int(),
                awardedOre: oreTotal,
                paidOre: oreTotal,
                grants: z.number().int(),
              }),
            ),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => ({
      ...(await service.getRound(request.params.id)),
      byTargetGroup: await service.roundByTargetGroup(request.params.id),
    }),
  );

  app.patch(
    '/api/v1/grant-rounds/:id',
    {
      schema: {
        tags: ['grants'],
        summary: 'Change a grant round, or move its status one step (planned → open → closed → decided)',
        params: rowIdParams,
        body: roundPatch,
        response: { 200: roundSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      return service.updateRound(request.principal, request.params.id, { ...request.body, version });
    },
  );

  app.get(
    '/api/v1/grants',
    {
      schema: {
        tags: ['grants'],
        summary: 'Grants, filtered, with totals',
        querystring: grantListQuery,
        response: {
          200: pageOfSchema(grantSchema).extend({
            requestedOre: oreTotal.describe('The sum over the whole filtered list, as a decimal string'),
            awardedOre: oreTotal.describe('The sum over the whole filtered list, as a decimal string'),
            paidOre: oreTotal.describe(
              'Paid net of repayments, summed over the whole filtered list (a decimal string)',
            ),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => service.listGrants(request.query),
  );

  app.post(
    '/api/v1/grants',
    {
      schema: {
        tags: ['grants'],
        summary: 'Record an application',
        description: 'When the actor has an overdue report, the answer carries warnings: ["ACTOR_HAS_OVERDUE_REPORT"].',
        body: grantCreate,
        response: { 201: grantSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.apply(request.principal, request.body)),
  );

  app.get(
    '/api/v1/grants/:id',
    {
      schema: {
        tags: ['grants'],
        summary: 'One grant with its allocations and payments',
        params: rowIdParams,
        response: { 200: grantSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => service.getGrant(request.params.id),
  );

  app.patch(
    '/api/v1/grants/:id',
    {
      schema: {
        tags: ['grants'],
        summary: 'Change a grant: details, report, allocations, payments',
        params: rowIdParams,
        body: grantPatch,
        response: { 200: grantSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      return service.updateGrant(request.principal, request.params.id, { ...request.body, version });
    },
  );

  app.put(
    '/api/v1/grants/:id/payments/:paymentId',
    {
      schema: {
        tags: ['grants'],
        summary: 'Correct one payment: its kind, date and amount (finance, while the grant is approved or paid)',
        description:
          'Audited with the line before and after. What is paid stays within the award (409 PAYMENTS_EXCEED_AWARD); a grant marked as paid must stay fully paid (409 NOT_FULLY_PAID); other statuses get 409 PAYMENT_LOCKED.',
        params: rowIdParams.extend({ paymentId: bigRowIdParam }),
        body: paymentCorrection,
        response: { 200: grantSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      const { id, paymentId } = request.params;
      return service.correctPayment(request.principal, id, paymentId, { ...request.body, version });
    },
  );

  app.post(
    '/api/v1/grants/:id/transitions',
    {
      schema: {
        tags: ['grants'],
        summary: 'Move a grant along applied → approved → paid → accounted → closed (or rejected, withdrawn)',
        description:
          'Approving needs the award split across target groups (allocations, or targetGroupId for all on one). An award beyond the round’s remaining budget gets 409 GRANT_OVER_BUDGET unless overrideBudget is true.',
        params: rowIdParams,
        body: grantTransition,
        response: { 200: grantSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => service.transition(request.principal, request.params.id, request.body),
  );
};
