import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationFailed } from '../../lib/errors.ts';
import { rowIdParam, rowIdParams, rowVersion } from '../../lib/ids.ts';
import { pageOfSchema, queryFlag } from '../../lib/pagination.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { mergeInput } from './actors.merge.ts';
import {
  actorFields,
  actorListItem,
  actorListQuery,
  actorPatch,
  actorReadSchema,
  actorSchema,
} from './actors.schemas.ts';

/** The version an update was read at: the body's `version`, or an If-Match header ("3" or W/"3"). */
export function versionFrom(
  bodyVersion: number | undefined,
  ifMatch: string | string[] | undefined,
): number | undefined {
  if (bodyVersion !== undefined) return bodyVersion;
  const header = Array.isArray(ifMatch) ? ifMatch[0] : ifMatch;
  if (!header) return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!m) throw validationFailed({ version: ['validation.ifMatch'] });
  return Number(m[1]);
}

export const actorsApi: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.actors;

  app.get(
    '/api/v1/actors',
    {
      schema: {
        tags: ['actors'],
        summary:
          'Find actors: free text (Danish full-text and similar spelling), role, target group, municipality, status',
        querystring: actorListQuery,
        response: {
          200: pageOfSchema(actorListItem),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => service.list(request.query),
  );

  app.post(
    '/api/v1/actors',
    {
      schema: {
        tags: ['actors'],
        summary: 'Register an actor',
        description:
          'A CVR number already registered gives 409 DUPLICATE_CVR. A name similar to existing actors gives 409 SIMILAR_NAME with the candidates; repeat with ?allowSimilar=true to register anyway.',
        querystring: z.object({ allowSimilar: queryFlag.optional() }),
        body: actorFields,
        response: { 201: actorSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const actor = await service.register(request.principal, request.body, {
        allowSimilar: request.query.allowSimilar === true,
      });
      return reply
        .code(201)
        .header('location', `/api/v1/actors/${actor.id}`)
        .header('etag', `"${actor.version}"`)
        .send(actor);
    },
  );

  app.get(
    '/api/v1/actors/:id',
    {
      schema: {
        tags: ['actors'],
        summary: 'One actor, with its contacts when your municipality works with it',
        description: 'An actor merged into another answers 308 to the one that remains.',
        params: rowIdParams,
        response: { 200: actorReadSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { mergedIntoId, ...actor } = await service.toShow(request.principal, request.params.id);
      if (mergedIntoId) return reply.redirect(`/api/v1/actors/${mergedIntoId}`, 308);
      return reply.header('etag', `"${actor.version}"`).send(actor);
    },
  );

  app.patch(
    '/api/v1/actors/:id',
    {
      schema: {
        tags: ['actors'],
        summary: 'Change an actor',
        description:
          'State the version you read, as `version` in the body or an If-Match header. A stale version gets 409 STALE_VERSION with the current values in `current`. `contacts`, when given, replaces the list: keep a contact by sending its id.',
        params: rowIdParams,
        body: actorPatch,
        response: { 200: actorSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const version = versionFrom(request.body.version, request.headers['if-match']);
      if (version === undefined) throw validationFailed({ version: ['validation.versionRequired'] });
      const actor = await service.update(request.principal, request.params.id, { ...request.body, version });
      return reply.header('etag', `"${actor.version}"`).send(actor);
    },
  );

  app.post(
    '/api/v1/actors/:id/archive',
    {
      schema: {
        tags: ['actors'],
        summary: 'Archive an actor',
        description: 'Optionally state the version you read (body or If-Match); a stale one gets 409.',
        params: rowIdParams,
        body: z.object({ version: rowVersion.optional() }).nullish(),
        response: { 200: actorSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const version = versionFrom(request.body?.version, request.headers['if-match']);
      return service.archive(request.principal, request.params.id, version);
    },
  );

  app.post(
    '/api/v1/actors/:id/contacts/:contactId/erase',
    {
      schema: {
        tags: ['actors'],
        summary: 'Erase a contact person (GDPR)',
        description:
          '`delete` removes the row; `anonymise` keeps it with no personal data. The audit trail refers to the contact by id only.',
        params: rowIdParams.extend({ contactId: rowIdParam }),
        body: z.object({ mode: z.enum(['delete', 'anonymise']) }),
        response: { 204: z.null().describe('Erased'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.eraseContact(request.principal, request.params.id, request.params.contactId, request.body.mode);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/actors/merge',
    {
      schema: {
        tags: ['actors'],
        summary: 'Merge duplicate actors into one',
        description:
          'Grants, agreements, outreach, contacts, target groups and municipalities move to the survivor; for fields that differ, `choose` names the actor whose value is kept. The merged actors are archived and their ids answer 308 to the survivor. One transaction, audited. Actors of another municipality need an admin.',
        body: mergeInput,
        response: { 200: actorSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => app.services.actorMerges.merge(request.principal, request.body),
  );
};
