import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues, idFrom } from '../../lib/forms.ts';
import { mayWrite, mayWriteArea } from '../../lib/policy.ts';
import { municipalityOrAll, sharedData } from '../../lib/write-tags.ts';
import { grantPageNames } from './grants.names.ts';
import { nextRoundStatus, type Round, roundForm, roundTakesGrants } from './grants.schemas.ts';

/** The grant rounds' pages: the list with the form for a new round, a round's page, moving it on. */
export const grantRoundsRoutes: FastifyPluginAsync = async (app) => {
  const { grants } = app.services;
  const { names } = grantPageNames(app.services);
  const translated = (request: FastifyRequest, errors: Record<string, string[]> | undefined) =>
    translateFieldErrors(request.locale, errors);

  async function roundsPage(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const own = request.principal.municipalityCode;
    const [n, rounds] = await Promise.all([names(own), grants.listRounds(own ?? undefined)]);
    const title = request.t('rounds.title');
    return reply.page(
      'grant-rounds/index',
      { title, ...n, rounds, canCreate: mayWriteArea(request.principal, 'grants'), values: {}, ...extra },
      { status },
    );
  }

  app.get('/grant-rounds', async (request, reply) => roundsPage(request, reply));

  app.post('/grant-rounds', async (request, reply) => {
    const values = formValues(request.body);
    const parsed = roundForm.safeParse(coerceForm(roundForm, values));
    if (!parsed.success)
      return roundsPage(
        request,
        reply,
        { values, fieldErrors: translated(request, fieldErrorsFrom(parsed.error)) },
        422,
      );
    const { budget, ...rest } = parsed.data;
    try {
      const round = await grants.createRound(request.principal, { ...rest, budgetOre: budget });
      return reply.flash('flash.roundCreated', { name: round.name }).redirect(`/grant-rounds/${round.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'CONFLICT') {
        return roundsPage(request, reply, { values, fieldErrors: { name: [request.t('grant.round.duplicate')] } }, 422);
      }
      throw err;
    }
  });

  app.get('/grant-rounds/:id', async (request, reply) => {
    const id = idFrom(request.params);
    const show = async () => {
      const [round, byGroup, n] = await Promise.all([
        grants.getRound(id),
        grants.roundByTargetGroup(id),
        names(null, [id]),
      ]);
      const totals = new Map(byGroup.map((g) => [g.targetGroupId, g]));
      return {
        ...n,
        round,
        groupRows: n.targetGroupTree
          .filter((g) => totals.has(g.id))
          .map((g) => ({ group: g, total: totals.get(g.id) })),
        nextStatus: nextRoundStatus(round.status),
        canWrite: mayWrite(request.principal, 'grants', round.municipalityCode),
        canApply: mayWrite(request.principal, 'grants', round.municipalityCode) && roundTakesGrants(round.status),
        title: round.name,
      };
    };
    const tags = (data: { round?: unknown }) => [
      municipalityOrAll((data.round as Round).municipalityCode),
      ...sharedData,
    ];
    return reply.page('grant-rounds/show', show, { cache: { for: 'shared', tags } });
  });

  app.post('/grant-rounds/:id/advance', async (request, reply) => {
    const id = idFrom(request.params);
    const { version } = z
      .object({ version: z.coerce.number().int().positive().catch(0) })
      .parse(formValues(request.body));
    const round = await grants.advanceRound(request.principal, id, version);
    reply.flash('flash.roundAdvanced', { name: round.name, status: request.t(`round.status.${round.status}`) });
    return reply.redirect(`/grant-rounds/${id}`, 303);
  });
};
