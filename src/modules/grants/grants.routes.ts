import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError } from '../../lib/errors.ts';
import {
  actorChoice,
  coerceForm,
  fieldErrorsFrom,
  formAddress,
  formValues,
  idFrom,
  pageFilters,
  parseForm,
  reportBack,
} from '../../lib/forms.ts';
import { formatMoney } from '../../lib/money.ts';
import { assertMayCreate, assertMayWrite, mayWrite, mayWriteArea } from '../../lib/policy.ts';
import { type TableFormat, tableFile } from '../../lib/spreadsheet.ts';
import { municipalityOrAll, sharedData } from '../../lib/write-tags.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { pageView } from '../../plugins/page-answers.ts';
import { grantExport } from './grants.export.ts';
import { grantPageNames } from './grants.names.ts';
import { paymentsCorrectable, transitionBlocker } from './grants.rules.ts';
import {
  applicationForm,
  awardForm,
  grantKinds,
  grantListQuery,
  grantStatuses,
  paymentForm,
  reportForm,
  roundTakesGrants,
  transitionForm,
} from './grants.schemas.ts';

const actorOptionsQuery = z.object({ actorQ: z.string().max(200).catch('') });
/** The list's filters: the API's, but only overdue=true (a ticked box) filters. */
const listFilters = pageFilters(grantListQuery.omit({ limit: true, offset: true })).extend({
  overdue: z.enum(['true']).optional().catch(undefined),
  report: reportBack,
});
const PAGE_SIZE = 50;
/** The round and the actor a new application is opened for (from a round's or an actor's page). */
const newGrantQuery = z.object({
  roundId: z.string().max(12).optional().catch(undefined),
  actorId: z.string().max(12).optional().catch(undefined),
});

export const grantsRoutes: FastifyPluginAsync = async (app) => {
  const { grants, actors } = app.services;
  // The rounds' pages are in grants.rounds.routes.ts; the names both show, in grants.names.ts.
  const { names } = grantPageNames(app.services);
  const translated = (request: FastifyRequest, errors: Record<string, string[]> | undefined) =>
    translateFieldErrors(request.locale, errors);

  function filtersOf(request: FastifyRequest) {
    const filters = listFilters.parse(request.query ?? {});
    return { filters, query: grantListQuery.parse(filters) };
  }

  app.get('/grants', async (request, reply) => {
    const partial = request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'grant-results';
    const { filters, query } = filtersOf(request);
    const list = async () => {
      // The page with its menu's rounds (the municipality's it lists, else the user's; none for the
      // results alone, which show no menu), and the other names meanwhile: the rows' rounds are named
      // from the page.
      const menuOf = partial
        ? undefined
        : (filters.municipalityCode ?? request.principal.municipalityCode ?? undefined);
      const page = grants.listPage({ ...query, limit: PAGE_SIZE, offset: (filters.page - 1) * PAGE_SIZE }, menuOf);
      const [result, n] = await Promise.all([
        page,
        names(
          null,
          [],
          page.then((r) => r.rounds),
        ),
      ]);
      // The view model made as the page is rendered (page-answers.ts).
      return pageView(() => ({
        ...n,
        // The menu's rounds, read with the page.
        rounds: result.roundMenu,
        filters,
        result,
        pageSize: PAGE_SIZE,
        actorNames: new Map(result.actors.map((a) => [a.id, a.name])),
        canCreate: mayWriteArea(request.principal, 'grants'),
        grantStatuses,
        title: request.t('grants.title'),
      }));
    };
    // One municipality's grants when the list is filtered by one, everyone's when not.
    const tags = [municipalityOrAll(filters.municipalityCode), ...sharedData];
    return reply.page(partial ? 'grants/_results' : 'grants/index', list, { cache: { for: 'shared', tags } });
  });

  /** The whole filtered list as CSV or XLSX (the API sends the same file: grants.api.ts). */
  const grantsFile = (format: TableFormat) => async (request: FastifyRequest, reply: FastifyReply) => {
    const file = await tableFile(
      format,
      await grantExport(app.services, filtersOf(request).query, (k) => request.t(k)),
    );
    return reply.type(file.contentType).header('content-disposition', file.disposition).send(file.body);
  };
  app.get('/grants/export.csv', grantsFile('csv'));
  app.get('/grants/export.xlsx', grantsFile('xlsx'));

  /** htmx: the actor options matching a search, for the application form. */
  app.get('/grants/actor-options', async (request, reply) => {
    const { actorQ } = actorOptionsQuery.parse(request.query ?? {});
    const found = await actors.summaries({ q: actorQ.trim() || undefined, status: 'active', limit: 100, offset: 0 });
    return reply.page('grants/_actor-options', { actorOptions: found.items, values: {} });
  });

  app.get('/grants/overdue-check', async (request, reply) => {
    const { actorId } = actorChoice.parse(request.query ?? {});
    const overdue = actorId ? (await grants.listPage({ actorId, overdue: true, limit: 5, offset: 0 })).items : [];
    return reply.page('grants/_overdue', { overdue });
  });

  async function newPage(
    request: FastifyRequest,
    reply: FastifyReply,
    values: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const n = await names(request.principal.municipalityCode);
    const { actorId } = actorChoice.parse({ actorId: values.actorId });
    // Only the application form lists actors; the chosen one is always among them, even beyond the first hundred.
    let actorOptions: { id: number; name: string }[] = (
      await actors.summaries({ limit: 100, offset: 0, status: 'active' })
    ).items;
    if (actorId && !actorOptions.some((a) => a.id === actorId)) {
      const chosen = await actors.get(request.principal, actorId).catch(() => undefined);
      if (chosen) actorOptions = [chosen, ...actorOptions];
    }
    const overdue = actorId ? (await grants.listPage({ actorId, overdue: true, limit: 5, offset: 0 })).items : [];
    const caseHandlers = await grants.caseHandlerOptions(request.principal.municipalityCode ?? 0);
    return reply.page(
      'grants/new',
      {
        caseHandlers,
        title: request.t('grants.new'),
        ...n,
        values,
        overdue,
        grantKinds,
        actorOptions,
        writableRounds: n.rounds.filter(
          (r) => mayWrite(request.principal, 'grants', r.municipalityCode) && roundTakesGrants(r.status),
        ),
        ...extra,
      },
      { status },
    );
  }

  app.get('/grants/new', async (request, reply) => {
    const q = newGrantQuery.parse(request.query ?? {});
    assertMayCreate(request.principal, 'grants');
    return newPage(request, reply, { kind: 'money', roundId: q.roundId, actorId: q.actorId });
  });

  const applyForGrant = async (request: FastifyRequest, reply: FastifyReply) => {
    const values = formValues(request.body);
    const parsed = applicationForm.safeParse(coerceForm(applicationForm, values));
    if (!parsed.success)
      return newPage(request, reply, values, { fieldErrors: translated(request, fieldErrorsFrom(parsed.error)) }, 422);
    const { requested, ...rest } = parsed.data;
    try {
      const grant = await grants.apply(request.principal, { ...rest, requestedOre: requested });
      return reply.flash('flash.applicationCreated', { title: grant.title }).redirect(`/grants/${grant.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 403) {
        return newPage(
          request,
          reply,
          values,
          { fieldErrors: translated(request, err.fieldErrors), failure: request.t(err.message) },
          422,
        );
      }
      throw err;
    }
  };
  app.post('/grants', applyForGrant);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/grants/new', applyForGrant);

  async function showGrant(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const grant = await grants.getGrant(id);
    const [round, n, actorNameMap, caseHandler] = await Promise.all([
      grants.getRound(grant.roundId),
      names(null, [grant.roundId]),
      actors.names([grant.actorId]),
      grants.caseHandler(grant.caseHandlerId),
    ]);
    return reply.page(
      'grants/show',
      {
        ...n,
        title: grant.title,
        grant,
        round,
        actorName: actorNameMap.get(grant.actorId) ?? String(grant.actorId),
        caseHandler,
        targetGroupNames: await app.services.targetGroups.names(request.locale),
        canWrite: mayWrite(request.principal, 'grants', round.municipalityCode),
        // A grant an application's approval created has the applicant's report on a page of its own.
        fromApplication: await app.services.applicationReports.grantHasApplication(
          request.principal,
          id,
          round.municipalityCode,
        ),
        canCorrectPayments: paymentsCorrectable(grant.status),
        ...grants.offeredSteps(grant, round),
        today: danishDate(),
        values: {},
        ...extra,
      },
      { status },
    );
  }

  app.get('/grants/:id', async (request, reply) => showGrant(request, reply, idFrom(request.params)));

  /** Runs a change from one of the grant page's forms; refusals re-render the page with the message. */
  async function change(
    request: FastifyRequest,
    reply: FastifyReply,
    form: string,
    work: (id: number) => Promise<void>,
  ) {
    const id = idFrom(request.params);
    try {
      await work(id);
      return reply.redirect(`/grants/${id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 403 && err.statusCode !== 404) {
        return showGrant(
          request,
          reply,
          id,
          {
            form,
            values: formValues(request.body),
            fieldErrors: translated(request, err.fieldErrors),
            // Said once: in the error summary when the fields say it, else on its own.
            failure: err.fieldErrors ? undefined : request.t(err.message),
            failureCode: err.code,
          },
          err.statusCode === 409 ? 409 : 422,
        );
      }
      throw err;
    }
  }

  // The grant page's forms: a refused one is shown at its own address, which leads back to the page.
  formAddress(app, '/grants/:id/award', ({ id }) => `/grants/${id}`);
  formAddress(app, '/grants/:id/payments', ({ id }) => `/grants/${id}`);
  formAddress(app, '/grants/:id/report', ({ id }) => `/grants/${id}`);
  formAddress(app, '/grants/:id/transition', ({ id }) => `/grants/${id}`);

  app.post('/grants/:id/award', async (request, reply) =>
    change(request, reply, 'award', async (id) => {
      const f = parseForm(awardForm, request.body);
      const awarded = await grants.transition(request.principal, id, {
        to: 'approved',
        version: f.version,
        awardedOre: f.awarded,
        decisionOn: f.decisionOn,
        ...(f.lines.length
          ? { allocations: f.lines.map((l) => ({ targetGroupId: l.targetGroupId, amountOre: l.amount })) }
          : { targetGroupId: f.wholeTo }),
        overrideBudget: f.overrideBudget,
      });
      reply.flash('flash.grantAwarded', { title: awarded.title, amount: awarded.awardedOre ?? 0 });
    }),
  );

  app.post('/grants/:id/payments', async (request, reply) =>
    change(request, reply, 'payment', async (id) => {
      const { amount, ...payment } = parseForm(paymentForm, request.body);
      await grants.recordPayment(request.principal, id, { ...payment, amountOre: amount });
      const key = payment.kind === 'repayment' ? 'flash.repaymentRecorded' : 'flash.paymentRecorded';
      reply.flash(key, { amount });
    }),
  );

  app.post('/grants/:id/report', async (request, reply) =>
    change(request, reply, 'report', async (id) => {
      const saved = await grants.updateGrant(request.principal, id, parseForm(reportForm, request.body));
      reply.flash('flash.reportSaved', { title: saved.title });
    }),
  );

  /** Every step of the flow but an award is one way: each is asked first. */
  const askedSteps = new Set(['rejected', 'withdrawn', 'paid', 'accounted', 'closed']);

  app.post('/grants/:id/transition', async (request, reply) => {
    const step = transitionForm.safeParse(coerceForm(transitionForm, formValues(request.body)));
    if (step.success && askedSteps.has(step.data.to) && !confirmed(request)) {
      const id = idFrom(request.params);
      const grant = await grants.getGrant(id);
      const round = await grants.getRound(grant.roundId);
      assertMayWrite(request.principal, 'grants', round.municipalityCode);
      // A step the service would refuse is not asked about: the grant page says why.
      if (!transitionBlocker(grant, step.data.to)) {
        const to = step.data.to;
        return askFirst(request, reply, {
          question: request.t(`grant.confirm.question.${to}`, { title: grant.title }),
          consequences: [
            request.t(`grant.confirm.what.${to}`, { amount: formatMoney(grant.paidOre, request.locale) }),
            request.t('grant.confirm.final'),
          ],
          yes: request.t(`grant.confirm.yes.${to}`),
          back: `/grants/${id}`,
          fields: { to, version: step.data.version },
        });
      }
    }
    return change(request, reply, 'transition', async (id) => {
      const moved = await grants.transition(
        request.principal,
        id,
        transitionForm.parse(coerceForm(transitionForm, formValues(request.body))),
      );
      reply.flash('flash.grantStatus', { title: moved.title, status: request.t(`grant.status.${moved.status}`) });
    });
  });
};
