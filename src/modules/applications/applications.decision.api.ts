import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { rowIdParams } from '../../lib/ids.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { decidedApplicationSchema, decisionInput } from './applications.decision.schemas.ts';

/** The decision on an online application, as JSON (issue 21): the same service as the staff page. */
export const applicationDecisionApi: FastifyPluginAsyncZod = async (app) => {
  const decisions = app.services.applicationDecisions;

  app.post(
    '/api/v1/applications/:id/decision',
    {
      schema: {
        tags: ['applications'],
        summary: 'Decide an application: approve (it becomes an awarded grant) or reject (finance or admin)',
        description:
          'Finance or admin of the round’s municipality; other users of it get 403, anyone else 404. Only a ' +
          'submitted or under-review application is decided (else 409 APPLICATION_ALREADY_DECIDED or ' +
          'APPLICATION_NOT_SUBMITTED); a stale version gets 409 STALE_VERSION. Approving needs the matched actor ' +
          '(409 APPLICATION_ACTOR_REQUIRED) and creates the grant in the round for it, awarded as ' +
          'POST /api/v1/grants/{id}/transitions awards: allocations adding up to awardedOre (400 ' +
          'ALLOCATION_MISMATCH), at most the amount applied for (400), within the round’s remaining budget ' +
          'unless overrideBudget is true (409 GRANT_OVER_BUDGET). A refusal writes nothing. The applicant is ' +
          'mailed the decision and its reasons in their language, with a fresh link to the application.',
        params: rowIdParams,
        body: decisionInput,
        response: { 200: decidedApplicationSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const decided = await decisions.decide(request.principal, request.params.id, request.body);
      app.mailSender.kick();
      return decided;
    },
  );
};
