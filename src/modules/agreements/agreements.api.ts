import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationFailed } from '../../lib/errors.ts';
import { rowIdParams } from '../../lib/ids.ts';
import { pageOf, pageOfSchema, pageQuery } from '../../lib/pagination.ts';
import { dateOut, errorResponses } from '../../plugins/api-schemas.ts';
import { versionFrom } from '../actors/actors.api.ts';
import {
  actionItemListQuery,
  actionItemPatch,
  actionItemSchema,
  agreementInput,
  agreementListQuery,
  agreementPatch,
  agreementSchema,
  meetingInput,
  meetingSchema,
} from './agreements.schemas.ts';

export const agreementsApi: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.agreements;

  app.get(
    '/api/v1/agreements',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Cooperation agreements, filtered',
        querystring: agreementListQuery,
        response: {
          200: pageOfSchema(agreementSchema),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => service.list(request.query),
  );

  app.post(
    '/api/v1/agreements',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Create a cooperation agreement (coordinator or admin, own municipality)',
        body: agreementInput,
        response: { 201: agreementSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.create(request.principal, request.body)),
  );

  app.get(
    '/api/v1/agreements/:id',
    {
      schema: {
        tags: ['agreements'],
        summary: 'One agreement, with its pace: the last meeting held and when the next is due',
        params: rowIdParams,
        response: { 200: agreementSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => service.get(request.params.id),
  );

  app.patch(
    '/api/v1/agreements/:id',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Change an agreement, or its status (draft → active → ended)',
        description: 'Lists sent (actorIds, targetGroupIds, responsibilities, grantIds) replace the current ones.',
        params: rowIdParams,
        body: agreementPatch,
        response: { 200: agreementSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      return service.update(request.principal, request.params.id, { ...request.body, version });
    },
  );

  app.post(
    '/api/v1/agreements/:id/renewal',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Renew an agreement: a draft copy for the next period',
        description:
          'The copy starts the day after the old one ends (today, if it has no end) and lasts as long; linked grants and meetings stay with the old one.',
        params: rowIdParams,
        response: { 201: agreementSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.renew(request.principal, request.params.id)),
  );

  app.get(
    '/api/v1/agreements/:id/meetings',
    {
      schema: {
        tags: ['agreements'],
        summary: 'The agreement’s status meetings with their action items, newest first',
        params: rowIdParams,
        querystring: pageQuery,
        response: { 200: pageOfSchema(meetingSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      await service.get(request.params.id);
      return pageOf(await service.meetings(request.params.id), request.query);
    },
  );

  app.post(
    '/api/v1/agreements/:id/meetings',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Log a status meeting (or plan one), with its action items',
        description:
          'With heldOn the meeting is logged as held; without, it is planned for plannedOn. With meetingId a planned meeting is filled in. The answer proposes the next meeting from the agreement’s pace.',
        params: rowIdParams,
        body: meetingInput,
        response: {
          201: meetingSchema.extend({ proposedNextOn: dateOut.nullable() }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { meeting, proposedNextOn } = await service.logMeeting(request.principal, request.params.id, request.body);
      return reply.code(201).send({ ...meeting, proposedNextOn });
    },
  );

  app.get(
    '/api/v1/action-items',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Action items from status meetings, the earliest due first',
        querystring: actionItemListQuery,
        response: {
          200: pageOfSchema(
            actionItemSchema.extend({ agreementTitle: z.string(), municipalityCode: z.number().int() }),
          ),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => service.listActionItems(request.query),
  );

  app.patch(
    '/api/v1/action-items/:id',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Tick an action item off (done: true), reopen it, or change it',
        params: rowIdParams,
        body: actionItemPatch,
        response: { 200: actionItemSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      return service.updateActionItem(request.principal, request.params.id, { ...request.body, version });
    },
  );
};
