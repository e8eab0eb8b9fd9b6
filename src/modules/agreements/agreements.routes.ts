import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { actorChoice, formAddress, formValues, idFrom, pageFilters, parseForm } from '../../lib/forms.ts';
import { isRowId } from '../../lib/ids.ts';
import { assertMayCreate, assertMayWrite, mayWrite, mayWriteArea } from '../../lib/policy.ts';
import type { PaceFields } from './agreements.meetings.ts';
import {
  type Agreement,
  agreementEditForm,
  agreementForm,
  agreementKinds,
  agreementListQuery,
  agreementStatuses,
  meetingLogForm,
  meetingPlanForm,
} from './agreements.schemas.ts';

const day = z.iso.date();

/** The agreement page's query: the next meeting proposed after one logged without JavaScript, and its page of meetings. */
const showQuery = z.object({
  proposed: day.optional().catch(undefined),
  meetingPage: z.coerce.number().int().min(1).max(100_000).catch(1).default(1),
});
/** What the agreement page says after its status was changed. */
const listFilters = pageFilters(agreementListQuery.omit({ limit: true, offset: true }));
const PAGE_SIZE = 50;
const INTERVALS = [1, 2, 3, 4, 6, 12];

const isHtmx = (request: FastifyRequest) => request.headers['hx-request'] === 'true';
const asIds = (x: unknown): number[] =>
  (Array.isArray(x) ? x : x === undefined || x === null || x === '' ? [] : [x]).map(Number).filter(isRowId);

/** The form's values, as the form shows them, from an agreement. */
function valuesOf(a: Agreement): Record<string, unknown> {
  return {
    title: a.title,
    kind: a.kind,
    purpose: a.purpose ?? '',
    frame: a.frame ?? '',
    actorIds: a.actorIds.map(String),
    targetGroupIds: a.targetGroupIds.map(String),
    responsibilities: a.responsibilities,
    startsOn: a.startsOn,
    endsOn: a.endsOn ?? '',
    reviewOn: a.reviewOn ?? '',
    meetingIntervalMonths: a.meetingIntervalMonths ?? '',
    coordinatorUserId: a.coordinatorUserId ?? '',
    grantIds: a.grantIds.map(String),
    status: a.status,
    version: a.version,
  };
}

export const agreementsRoutes: FastifyPluginAsync = async (app) => {
  const { agreements, actors, municipalities, targetGroups } = app.services;
  const translated = (request: FastifyRequest, errors: FieldErrors | undefined) =>
    translateFieldErrors(request.locale, errors);

  async function groupNames(request: FastifyRequest) {
    const [tree, names] = await Promise.all([targetGroups.tree(), targetGroups.names(request.locale)]);
    return { targetGroupTree: tree, targetGroupNames: names };
  }

  /** The actors to choose from: the chosen ones first, then the first hundred matching the search. */
  async function actorChoices(chosen: number[], actorQ: string) {
    const [found, chosenNames] = await Promise.all([
      actors.summaries({ q: actorQ || undefined, status: 'active', limit: 100, offset: 0 }),
      actors.names(chosen),
    ]);
    const actorOptions = [
      ...chosen.filter((i) => chosenNames.has(i)).map((i) => ({ id: i, name: chosenNames.get(i) ?? '' })),
      ...found.items.filter((a) => !chosen.includes(a.id)).map((a) => ({ id: a.id, name: a.name })),
    ];
    return { actorOptions, chosenNames };
  }

  // ---- list -------------------------------------------------------------------------------
  app.get('/agreements', async (request, reply) => {
    const parsed = listFilters.parse(request.query ?? {});
    const filters = {
      ...parsed,
      // Your own municipality unless you chose another, or all of them ('all').
      municipalityCode:
        (request.query as Record<string, unknown> | undefined)?.municipalityCode === undefined
          ? (request.principal.municipalityCode ?? undefined)
          : parsed.municipalityCode,
    };
    const result = await agreements.list(
      agreementListQuery.parse({ ...filters, limit: PAGE_SIZE, offset: (filters.page - 1) * PAGE_SIZE }),
    );
    const [allMunicipalities, actorNameMap] = await Promise.all([
      municipalities.all(),
      actors.names(result.items.flatMap((a) => a.actorIds)),
    ]);
    const data = {
      title: request.t('agreements.title'),
      filters,
      result,
      pageSize: PAGE_SIZE,
      municipalities: allMunicipalities,
      municipalityNames: await municipalities.names(),
      actorNames: actorNameMap,
      agreementStatuses,
      canCreate: mayWriteArea(request.principal, 'agreements'),
    };
    const partial = isHtmx(request) && request.headers['hx-target'] === 'agreement-results';
    return reply.page(partial ? 'agreements/_results' : 'agreements/index', data);
  });

  // ---- the form (new and edit) ------------------------------------------------------------
  async function formPage(
    request: FastifyRequest,
    reply: FastifyReply,
    view: 'agreements/new' | 'agreements/edit',
    values: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const municipalityCode = request.principal.municipalityCode ?? 0;
    const chosen = asIds(values.actorIds);
    const actorQ = typeof values.actorQ === 'string' ? values.actorQ.trim().slice(0, 200) : '';
    const [options, { actorOptions, chosenNames }, groups] = await Promise.all([
      agreements.formOptions(municipalityCode, chosen),
      actorChoices(chosen, actorQ),
      groupNames(request),
    ]);
    return reply.page(
      view,
      {
        title: request.t(view === 'agreements/new' ? 'agreements.new' : 'agreements.edit'),
        ...groups,
        values,
        actorOptions,
        users: options.users,
        grantOptions: options.grants,
        actorNames: chosenNames,
        agreementKinds,
        agreementStatuses,
        intervals: INTERVALS,
        ...extra,
      },
      { status },
    );
  }

  /** Re-renders the form with the actors matching a search (the no-JavaScript way to search). */
  const searchingActors = (values: Record<string, unknown>) => values.intent === 'searchActors';

  app.get('/agreements/new', async (request, reply) => {
    const { actorId } = actorChoice.parse(request.query ?? {});
    assertMayCreate(request.principal, 'agreements');
    return formPage(request, reply, 'agreements/new', {
      kind: 'formal',
      status: 'draft',
      startsOn: danishDate(),
      actorIds: actorId ? [String(actorId)] : [],
    });
  });

  /** htmx: the actor options matching a search, with the chosen ones kept. */
  app.get('/agreements/actor-options', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const actorQ = typeof q?.actorQ === 'string' ? q.actorQ.trim().slice(0, 200) : '';
    const chosen = asIds(q?.actorIds);
    const { actorOptions } = await actorChoices(chosen, actorQ);
    return reply.page('agreements/_actor-options', { actorOptions, chosen: chosen.map(String) });
  });

  const createAgreement = async (request: FastifyRequest, reply: FastifyReply) => {
    const values = formValues(request.body);
    if (searchingActors(values)) return formPage(request, reply, 'agreements/new', values);
    try {
      const created = await agreements.create(request.principal, parseForm(agreementForm, values));
      return reply.flash('flash.agreementCreated', { title: created.title }).redirect(`/agreements/${created.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.statusCode === 400)
        return formPage(
          request,
          reply,
          'agreements/new',
          values,
          { fieldErrors: translated(request, err.fieldErrors) },
          422,
        );
      throw err;
    }
  };
  app.post('/agreements', createAgreement);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/agreements/new', createAgreement);

  app.get('/agreements/:id/edit', async (request, reply) => {
    const agreement = await agreements.get(idFrom(request.params));
    assertMayWrite(request.principal, 'agreements', agreement.municipalityCode);
    return formPage(request, reply, 'agreements/edit', valuesOf(agreement), { agreement });
  });

  const updateAgreement = async (request: FastifyRequest, reply: FastifyReply) => {
    const agreementId = idFrom(request.params);
    const agreement = await agreements.get(agreementId);
    const values = formValues(request.body);
    if (searchingActors(values)) return formPage(request, reply, 'agreements/edit', values, { agreement });
    try {
      const form = parseForm(agreementEditForm, values);
      // Lists left empty in the form are emptied, not left as they were.
      const input = {
        ...form,
        targetGroupIds: form.targetGroupIds ?? [],
        responsibilities: form.responsibilities ?? [],
        grantIds: form.grantIds ?? [],
        purpose: form.purpose ?? null,
        frame: form.frame ?? null,
        endsOn: form.endsOn ?? null,
        reviewOn: form.reviewOn ?? null,
        meetingIntervalMonths: form.meetingIntervalMonths ?? null,
        coordinatorUserId: form.coordinatorUserId ?? null,
      };
      const saved = await agreements.update(request.principal, agreementId, input);
      reply.flash('flash.agreementSaved', { title: saved.title });
      return reply.redirect(`/agreements/${agreementId}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const current = await agreements.get(agreementId);
        return formPage(
          request,
          reply,
          'agreements/edit',
          valuesOf(current),
          { agreement: current, failure: request.t('error.staleVersion') },
          409,
        );
      }
      if (err instanceof AppError && err.statusCode === 400)
        return formPage(
          request,
          reply,
          'agreements/edit',
          values,
          { agreement, fieldErrors: translated(request, err.fieldErrors) },
          422,
        );
      throw err;
    }
  };
  app.post('/agreements/:id', updateAgreement);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/agreements/:id/edit', updateAgreement);

  // ---- the agreement page -----------------------------------------------------------------
  /** What the meetings section shows: one page of meetings (the newest first) and the forms. */
  async function meetingsData(request: FastifyRequest, agreement: PaceFields, meetingPage: number) {
    const [page, users] = await Promise.all([
      agreements.meetingsPage(agreement, meetingPage),
      agreements.users(agreement.municipalityCode),
    ]);
    return {
      agreement: page.agreement,
      meetings: page.meetings,
      meetingPage: page.page,
      meetingPages: page.pages,
      meetingTotal: page.total,
      planned: page.planned,
      users,
      ownerNames: await agreements.ownerNames(page.meetings, users),
      canWrite: mayWrite(request.principal, 'agreements', agreement.municipalityCode),
      today: danishDate(),
    };
  }

  async function showData(request: FastifyRequest, agreementId: number, meetingPage = 1) {
    const agreement = await agreements.get(agreementId);
    const [section, actorNameMap, groups, options, userNameMap] = await Promise.all([
      meetingsData(request, agreement, meetingPage),
      actors.names(agreement.actorIds),
      groupNames(request),
      agreements.formOptions(agreement.municipalityCode, agreement.actorIds),
      agreements.userNames(agreement.coordinatorUserId ? [agreement.coordinatorUserId] : []),
    ]);
    return {
      ...section,
      agreement,
      actorNames: actorNameMap,
      targetGroupNames: groups.targetGroupNames,
      grantTitles: new Map(options.grants.map((g) => [g.id, `${g.title} (${g.year})`])),
      coordinatorName: agreement.coordinatorUserId ? userNameMap.get(agreement.coordinatorUserId) : undefined,
      municipalityName: (await municipalities.byCode()).get(agreement.municipalityCode)?.name ?? '',
    };
  }

  app.get('/agreements/:id', async (request, reply) => {
    const agreementId = idFrom(request.params);
    const { proposed, meetingPage } = showQuery.parse(request.query ?? {});
    const data = await showData(request, agreementId, meetingPage);
    return reply.page('agreements/show', {
      ...data,
      title: data.agreement.title,
      proposedNextOn: proposed,
      logValues: { heldOn: danishDate() },
    });
  });

  app.post('/agreements/:id/renew', async (request, reply) => {
    const renewed = await agreements.renew(request.principal, idFrom(request.params));
    return reply.flash('flash.agreementRenewed').redirect(`/agreements/${renewed.id}/edit`, 303);
  });

  /**
   * Logs a meeting held, or plans the next one. htmx swaps the meetings section in place; without
   * JavaScript the page is shown again with the next meeting proposed.
   */
  formAddress(app, '/agreements/:id/meetings', ({ id }) => `/agreements/${id}#meetings`);

  app.post('/agreements/:id/meetings', async (request, reply) => {
    const agreementId = idFrom(request.params);
    const values = formValues(request.body);
    const planning = values.intent === 'plan';
    let result: Awaited<ReturnType<typeof agreements.logMeeting>> | undefined;
    // htmx swaps the meetings section alone: the answer reads only what it shows (issue 17).
    const respond = async (extra: Record<string, unknown>, status: number) => {
      if (!isHtmx(request)) {
        const shown = await showData(request, agreementId);
        return reply.page('agreements/show', { ...shown, title: shown.agreement.title, ...extra }, { status });
      }
      // After a meeting logged, the agreement as its transaction read it; after a refusal, read here.
      const section = await meetingsData(request, result?.agreement ?? (await agreements.get(agreementId)), 1);
      return reply.page('agreements/_meetings', { ...section, ...extra }, { status });
    };
    try {
      if (planning) {
        const planned = parseForm(meetingPlanForm, values);
        result = await agreements.logMeeting(request.principal, agreementId, { ...planned, actionItems: [] });
      } else {
        const { items, ...meeting } = parseForm(meetingLogForm, values);
        result = await agreements.logMeeting(request.principal, agreementId, { ...meeting, actionItems: items });
      }
    } catch (err) {
      if (err instanceof AppError && (err.statusCode === 400 || err.statusCode === 409)) {
        const errors = translated(request, err.fieldErrors ?? { _: [err.message] });
        return respond(
          planning
            ? { planValues: values, planErrors: errors, logValues: { heldOn: danishDate() } }
            : { logValues: values, logErrors: errors },
          err.statusCode === 409 ? 409 : 422,
        );
      }
      throw err;
    }
    if (!isHtmx(request)) {
      const next = result.proposedNextOn ? `?proposed=${result.proposedNextOn}` : '';
      reply.flash(planning ? 'flash.meetingPlanned' : 'flash.meetingLogged');
      return reply.redirect(`/agreements/${agreementId}${next}#meetings`, 303);
    }
    return respond(
      {
        proposedNextOn: result.proposedNextOn,
        logValues: { heldOn: danishDate() },
        announcement: request.t(planning ? 'meeting.planned' : 'meeting.logged'),
      },
      200,
    );
  });
};
