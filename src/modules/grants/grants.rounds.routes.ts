import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues, idFrom } from '../../lib/forms.ts';
import { rowVersionParam } from '../../lib/ids.ts';
import { formatMoney } from '../../lib/money.ts';
import { assertMayWrite, mayWrite, mayWriteArea } from '../../lib/policy.ts';
import { municipalityOrAll, sharedData } from '../../lib/write-tags.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { freshPart } from '../../plugins/views.ts';
import { grantPageNames } from './grants.names.ts';
import { roundPhase } from './grants.rules.ts';
import { nextRoundStatus, type Round, roundEditForm, roundForm, roundTakesGrants } from './grants.schemas.ts';

/**
 * The criteria rows of a round's form, without the empty ones (a cleared row removes its criterion,
 * even with its id still in a hidden field), and the errors of the rows kept, by the row on the page
 * they came from (an id's error is shown at the row's title).
 */
function criteriaRows(form: Record<string, unknown>) {
  const sent = form.criteria;
  const rows =
    sent && typeof sent === 'object'
      ? Object.entries(sent as Record<string, unknown>).sort(([a], [b]) => Number(a) - Number(b))
      : [];
  const filled = (row: unknown) =>
    row !== null &&
    typeof row === 'object' &&
    ['title', 'description'].some((k) => String((row as Record<string, unknown>)[k] ?? '').trim() !== '');
  const kept = rows.filter(([, row]) => filled(row));
  const rowOf = (errors: Record<string, string[]>) =>
    Object.fromEntries(
      Object.entries(errors).map(([key, messages]) => {
        const m = /^criteria\.(\d+)\.(\w+)$/.exec(key);
        if (!m) return [key, messages];
        const page = kept[Number(m[1])]?.[0] ?? m[1];
        return [`criteria.${page}.${m[2] === 'id' ? 'title' : m[2]}`, messages];
      }),
    );
  return { values: { ...form, criteria: Object.fromEntries(kept) }, rowOf };
}

/** The version of the round a step forward was asked of. */
const advanceChoice = z.object({ version: rowVersionParam.catch(0) });

/** The grant rounds' pages: the list with the form for a new round, a round's page, editing it, moving it on. */
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
        // The page names its round from the round itself: no round names to look up.
        names(null),
      ]);
      const totals = new Map(byGroup.map((g) => [g.targetGroupId, g]));
      return {
        ...n,
        round,
        groupRows: n.targetGroupTree
          .filter((g) => totals.has(g.id))
          .map((g) => ({ group: g, total: totals.get(g.id) })),
        nextStatus: nextRoundStatus(round.status),
        isPublic: roundPhase(round) !== null,
        canWrite: mayWrite(request.principal, 'grants', round.municipalityCode),
        canReview: mayWrite(request.principal, 'reviews', round.municipalityCode),
        canApply: mayWrite(request.principal, 'grants', round.municipalityCode) && roundTakesGrants(round.status),
        title: round.name,
      };
    };
    const tags = (data: { round?: unknown }) => [
      municipalityOrAll((data.round as Round).municipalityCode),
      ...sharedData,
    ];
    // Its municipality's users see the applications' inbox and how many are new: counted for each
    // request, not kept, so that an applicant's draft does not empty every kept round page.
    const newApplications = freshPart(
      (data) => {
        const round = data.round as Round;
        return { id: round.id, municipalityCode: round.municipalityCode };
      },
      async (round) => {
        const count = await app.services.applicationInbox.newInRound(request.principal, round);
        return count === null
          ? null
          : { template: 'grant-rounds/_new-applications', data: { roundId: round.id, count } };
      },
    );
    return reply.page('grant-rounds/show', show, { cache: { for: 'shared', tags, fresh: { newApplications } } });
  });

  /** The edit form for a round, for someone who may change it (checked before anything else). */
  async function editPage(
    request: FastifyRequest,
    reply: FastifyReply,
    round: Round,
    values: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const targetGroupTree = await app.services.targetGroups.tree(round.municipalityCode);
    return reply.page(
      'grant-rounds/edit',
      { title: request.t('rounds.edit.title', { name: round.name }), round, values, targetGroupTree, ...extra },
      { status },
    );
  }

  async function roundToEdit(request: FastifyRequest) {
    const round = await grants.getRound(idFrom(request.params));
    assertMayWrite(request.principal, 'grants', round.municipalityCode);
    return round;
  }

  app.get('/grant-rounds/:id/edit', async (request, reply) => {
    const round = await roundToEdit(request);
    return editPage(request, reply, round, {
      ...round,
      budget: formatMoney(round.budgetOre, 'da').replace(/ kr\.$/, ''),
      targetGroupIds: round.targetGroupIds.map(String),
    });
  });

  app.post('/grant-rounds/:id', async (request, reply) => {
    const round = await roundToEdit(request);
    const { values, rowOf } = criteriaRows(formValues(request.body));
    const parsed = roundEditForm.safeParse(coerceForm(roundEditForm, values));
    if (!parsed.success) {
      const fieldErrors = translated(request, rowOf(fieldErrorsFrom(parsed.error)));
      return editPage(request, reply, round, values, { fieldErrors }, 422);
    }
    const { budget, ...rest } = parsed.data;
    try {
      await grants.updateRound(request.principal, round.id, { ...rest, budgetOre: budget });
      return reply.redirect(`/grant-rounds/${round.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const now = err.details?.current as Round;
        return editPage(request, reply, now, { ...values, version: now.version }, { conflict: now }, 409);
      }
      if (err instanceof AppError && err.code === 'CONFLICT') {
        const fieldErrors = { name: [request.t('grant.round.duplicate')] };
        return editPage(request, reply, round, values, { fieldErrors }, 422);
      }
      if (err instanceof AppError && err.fieldErrors) {
        const { budgetOre, ...others } = rowOf(err.fieldErrors);
        const fieldErrors = translated(request, { ...others, ...(budgetOre ? { budget: budgetOre } : {}) });
        return editPage(request, reply, round, values, { fieldErrors }, err.statusCode === 409 ? 409 : 422);
      }
      throw err;
    }
  });

  app.post('/grant-rounds/:id/advance', async (request, reply) => {
    const id = idFrom(request.params);
    const { version } = advanceChoice.parse(formValues(request.body));
    if (!confirmed(request)) {
      const round = await grants.getRound(id);
      assertMayWrite(request.principal, 'grants', round.municipalityCode);
      // Opening a round is not asked about; closing it and marking it decided, one way each, are.
      const next = nextRoundStatus(round.status);
      if (next === 'closed' || next === 'decided') {
        return askFirst(request, reply, {
          question: request.t(`round.confirm.question.${next}`, { name: round.name }),
          consequences: [request.t(`round.confirm.what.${next}`), request.t('round.confirm.final')],
          yes: request.t(`round.confirm.yes.${next}`),
          back: `/grant-rounds/${id}`,
          fields: { version },
        });
      }
    }
    const round = await grants.advanceRound(request.principal, id, version);
    reply.flash('flash.roundAdvanced', { name: round.name, status: request.t(`round.status.${round.status}`) });
    return reply.redirect(`/grant-rounds/${id}`, 303);
  });
};
