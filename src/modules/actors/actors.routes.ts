import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors, notFound } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues, idFrom, pageFilters, reportBack } from '../../lib/forms.ts';
import { rowIdParam, rowVersionParam } from '../../lib/ids.ts';
import { assertMayCreate, assertMayWrite, mayWrite, mayWriteArea } from '../../lib/policy.ts';
import { municipalityOrAll, sharedData } from '../../lib/write-tags.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { pageRedirect } from '../../plugins/page-answers.ts';
import type { PageCache } from '../../plugins/views.ts';
import {
  type Actor,
  actorEditForm,
  actorFields,
  actorListQuery,
  actorRoles,
  actorStatuses,
  orgTypes,
  quickInformalGroup,
  sortKeys,
} from './actors.schemas.ts';

const PAGE_SIZE = 25;

/** The list's filters as they stand in the URL: the API's; malformed values are dropped, not fatal. */
const listFilters = pageFilters(actorListQuery.omit({ limit: true, offset: true })).extend({ report: reportBack });

/** The name to find look-alikes of as it is typed, and the actor being edited. */
const similarQuery = z.object({
  name: z.string().max(200).catch(''),
  excludeId: rowIdParam.optional().catch(undefined),
});

type FormValues = Record<string, unknown>;

/** Removes contact rows the user ticked "remove" on, and adds an empty one when asked. */
function contactRows(body: FormValues, addOne: boolean): FormValues[] {
  const raw = body.contacts;
  const rows: FormValues[] = Array.isArray(raw)
    ? (raw as FormValues[])
    : raw && typeof raw === 'object'
      ? Object.keys(raw)
          .sort((a, b) => Number(a) - Number(b))
          .map((k) => (raw as Record<string, FormValues>)[k] ?? {})
      : [];
  const kept = rows.filter((r) => r && typeof r === 'object' && !r.remove);
  if (addOne) kept.push({});
  return kept;
}

/**
 * The contact rows of a form sent again after a conflict: a contact someone changed or erased since
 * shows as it is now (with its new version), one deleted since is gone, and the rest keep what the
 * user typed. Saving again can then never write back what was erased.
 */
function contactsAfterConflict(rows: FormValues[], current: Actor['contacts']): FormValues[] {
  const byId = new Map(current.map((c) => [String(c.id), c]));
  return rows.flatMap((row) => {
    if (row.id === undefined || row.id === '') return [row];
    const now = byId.get(String(row.id));
    if (!now) return [];
    return String(row.version) === String(now.version) ? [row] : [{ ...now }];
  });
}

/** How a contact is erased (confirm.eta posts it again), and the version an archiving was asked of. */
const eraseChoice = z.object({ mode: z.enum(['delete', 'anonymise']).catch('delete') });
const archiveChoice = z.object({ version: rowVersionParam.optional().catch(undefined) });

/** The register is everyone's: the list depends on no municipality's own data. */
const listCache: PageCache = { for: 'shared', tags: sharedData };
/**
 * The grants an actor's page shows: the newest, with the grant list a link away (filtered to the
 * actor, with export). An actor with years of grants made the page read and render them all.
 */
const ACTOR_PAGE_GRANTS = 20;
/** The agreements an actor's page lists at most. */
const ACTOR_PAGE_AGREEMENTS = 200;
/** An actor's page shows its grants, agreements and outreach in any municipality. */
const actorCache: PageCache = { for: 'shared', tags: [municipalityOrAll(null), ...sharedData] };

export const actorsRoutes: FastifyPluginAsync = async (app) => {
  const { actors, municipalities, targetGroups } = app.services;

  async function formOptions() {
    return {
      municipalities: await municipalities.all(),
      targetGroupTree: await targetGroups.tree(),
      orgTypes,
      actorRoles,
      actorStatuses,
    };
  }

  async function renderForm(
    reply: FastifyReply,
    mode: 'new' | 'edit',
    values: FormValues,
    extra: {
      fieldErrors?: FieldErrors;
      candidates?: unknown[];
      conflict?: Actor;
      actor?: Actor;
      duplicateOf?: unknown;
    } = {},
    status = 200,
  ) {
    return reply.page(
      mode === 'new' ? 'actors/new' : 'actors/edit',
      {
        title: reply.request.t(mode === 'new' ? 'actors.new' : 'actor.form.editTitle', {
          name: extra.actor?.name ?? '',
        }),
        values,
        ...extra,
        ...(await formOptions()),
      },
      { status },
    );
  }

  /** Translates the validation error keys for the form. */
  const translated = (request: FastifyRequest, errors: FieldErrors | undefined) =>
    translateFieldErrors(request.locale, errors);

  app.get('/actors', async (request, reply) => {
    const partial = request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'actor-results';
    const list = async () => {
      const filters = listFilters.parse(request.query ?? {});
      const query = actorListQuery.parse({ ...filters, limit: PAGE_SIZE, offset: (filters.page - 1) * PAGE_SIZE });
      const [result, allMunicipalities, tree] = await Promise.all([
        actors.summaries(query),
        municipalities.all(),
        targetGroups.tree(),
      ]);
      return {
        filters,
        result,
        pageSize: PAGE_SIZE,
        municipalities: allMunicipalities,
        municipalityNames: await municipalities.names(),
        targetGroupTree: tree,
        actorRoles,
        actorStatuses,
        sortKeys,
        canCreate: mayWriteArea(request.principal, 'actors'),
        title: request.t('actors.title'),
      };
    };
    return reply.page(partial ? 'actors/_results' : 'actors/index', list, { cache: listCache });
  });

  app.get('/actors/new', async (request, reply) => {
    assertMayCreate(request.principal, 'actors');
    return renderForm(reply, 'new', {
      roles: [],
      homeMunicipalityCode: request.principal.municipalityCode,
      municipalityCodes: [],
      targetGroupIds: [],
      contacts: [{}],
      status: 'active',
    });
  });

  app.get('/actors/similar', async (request, reply) => {
    const { name, excludeId } = similarQuery.parse(request.query ?? {});
    const candidates = await actors.similarNames(name, excludeId);
    return reply.page('actors/_similar', { candidates });
  });

  const registerActor = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = formValues(request.body);
    const values: FormValues = { ...body, contacts: contactRows(body, body.addContact !== undefined) };
    if (body.addContact !== undefined || body.removeContacts !== undefined) {
      return renderForm(reply, 'new', values);
    }
    const parsed = actorFields.safeParse(coerceForm(actorFields, values));
    if (!parsed.success) {
      return renderForm(reply, 'new', values, { fieldErrors: translated(request, fieldErrorsFrom(parsed.error)) }, 422);
    }
    try {
      const actor = await actors.register(request.principal, parsed.data, { allowSimilar: body.allowSimilar === 'on' });
      return reply.flash('flash.actorCreated', { name: actor.name }).redirect(`/actors/${actor.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'SIMILAR_NAME') {
        return renderForm(reply, 'new', values, { candidates: err.details?.candidates as unknown[] }, 422);
      }
      if (err instanceof AppError && err.fieldErrors) {
        return renderForm(
          reply,
          'new',
          values,
          { fieldErrors: translated(request, err.fieldErrors), duplicateOf: err.details?.existing },
          422,
        );
      }
      throw err;
    }
  };
  app.post('/actors', registerActor);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/actors/new', registerActor);

  const quick = (request: FastifyRequest) => ({ title: request.t('actors.quick'), values: { contact: {} } });
  app.get('/actors/quick', async (request, reply) => {
    assertMayCreate(request.principal, 'actors');
    return reply.page('actors/quick', quick(request));
  });

  app.post('/actors/quick', async (request, reply) => {
    const values = formValues(request.body);
    const parsed = quickInformalGroup.safeParse(coerceForm(quickInformalGroup, values));
    const fail = async (fieldErrors: FieldErrors | undefined, candidates?: unknown[]) =>
      reply.page(
        'actors/quick',
        {
          title: request.t('actors.quick'),
          values,
          fieldErrors: translated(request, fieldErrors),
          candidates,
        },
        { status: 422 },
      );
    if (!parsed.success) return fail(fieldErrorsFrom(parsed.error));
    try {
      const actor = await actors.registerInformalGroup(request.principal, parsed.data, {
        allowSimilar: values.allowSimilar === 'on',
      });
      return reply.flash('flash.actorCreated', { name: actor.name }).redirect(`/actors/${actor.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'SIMILAR_NAME')
        return fail(undefined, err.details?.candidates as unknown[]);
      if (err instanceof AppError && err.fieldErrors) return fail(err.fieldErrors);
      throw err;
    }
  });

  app.get('/actors/:id', async (request, reply) => {
    const id = idFrom(request.params);
    const show = async () => {
      // Everything at once: a merged actor is still there (archived), so its page is only thrown away.
      const [
        { actor, agreements: actorAgreements, outreach: actorOutreach },
        municipalityNames,
        targetGroupNames,
        actorGrants,
      ] = await Promise.all([
        actors.page(request.principal, id, ACTOR_PAGE_AGREEMENTS),
        municipalities.names(),
        targetGroups.names(request.locale),
        app.services.grants.listPage({ actorId: id, sort: 'newest', limit: ACTOR_PAGE_GRANTS, offset: 0 }),
      ]);
      if (actor.mergedIntoId) return pageRedirect(`/actors/${actor.mergedIntoId}`, 308);
      const rounds = actorGrants.rounds;
      return {
        actor,
        actorGrants,
        actorAgreements,
        actorOutreach,
        canMakeAgreement: mayWriteArea(request.principal, 'agreements'),
        roundNames: new Map(rounds.map((r) => [r.id, `${r.name} (${r.year})`])),
        canEdit: mayWrite(request.principal, 'actors', actor.homeMunicipalityCode),
        canApply: mayWriteArea(request.principal, 'grants'),
        municipalityNames,
        targetGroupNames,
        title: actor.name,
      };
    };
    return reply.page('actors/show', show, { cache: actorCache });
  });

  app.get('/actors/:id/edit', async (request, reply) => {
    const id = idFrom(request.params);
    const actor = await actors.get(request.principal, id);
    assertMayWrite(request.principal, 'actors', actor.homeMunicipalityCode);
    return renderForm(reply, 'edit', { ...actor, contacts: [...actor.contacts, {}] }, { actor });
  });

  const updateActor = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = idFrom(request.params);
    const current = await actors.get(request.principal, id);
    const body = formValues(request.body);
    const values: FormValues = { ...body, id, contacts: contactRows(body, body.addContact !== undefined) };
    if (body.addContact !== undefined) return renderForm(reply, 'edit', values, { actor: current });
    const parsed = actorEditForm.safeParse(coerceForm(actorEditForm, values));
    if (!parsed.success) {
      return renderForm(
        reply,
        'edit',
        values,
        { actor: current, fieldErrors: translated(request, fieldErrorsFrom(parsed.error)) },
        422,
      );
    }
    try {
      const saved = await actors.update(request.principal, id, parsed.data);
      return reply.flash('flash.actorSaved', { name: saved.name }).redirect(`/actors/${id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const now = err.details?.current as Actor;
        const contacts = contactsAfterConflict(values.contacts as FormValues[], now.contacts);
        return renderForm(
          reply,
          'edit',
          { ...values, contacts, version: now.version },
          { actor: now, conflict: now },
          409,
        );
      }
      if (err instanceof AppError && err.fieldErrors) {
        return renderForm(
          reply,
          'edit',
          values,
          { actor: current, fieldErrors: translated(request, err.fieldErrors), duplicateOf: err.details?.existing },
          422,
        );
      }
      throw err;
    }
  };
  app.post('/actors/:id', updateActor);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/actors/:id/edit', updateActor);

  app.get('/actors/:id/history', async (request, reply) => {
    const id = idFrom(request.params);
    const actor = await actors.get(request.principal, id);
    return reply.page('actors/history', {
      title: request.t('actor.history.title', { name: actor.name }),
      actor,
      canEdit: mayWrite(request.principal, 'actors', actor.homeMunicipalityCode),
      entries: await app.services.audit.actorHistory(id, { contactsVisible: actor.contactsVisible }),
    });
  });

  app.post('/actors/:id/contacts/:contactId/erase', async (request, reply) => {
    const id = idFrom(request.params);
    const contactId = idFrom(request.params, 'contactId');
    const { mode } = eraseChoice.parse(formValues(request.body));
    if (!confirmed(request)) {
      const actor = await actors.get(request.principal, id);
      assertMayWrite(request.principal, 'actors', actor.homeMunicipalityCode);
      const contact = actor.contacts.find((c) => c.id === contactId);
      if (!contact) throw notFound('actor_contact', contactId);
      return askFirst(request, reply, {
        question: request.t(`contact.erase.${mode}.question`, { name: contact.name }),
        consequences: [
          request.t(`contact.erase.${mode}.what`, { actor: actor.name }),
          request.t('contact.erase.final'),
          request.t('contact.erase.trail'),
        ],
        yes: request.t(`contact.erase.${mode}.yes`),
        back: `/actors/${id}#h-contacts`,
        fields: { mode },
      });
    }
    await actors.eraseContact(request.principal, id, contactId, mode);
    reply.flash(mode === 'delete' ? 'flash.contactDeleted' : 'flash.contactAnonymised');
    return reply.redirect(`/actors/${id}#h-contacts`, 303);
  });

  app.post('/actors/:id/archive', async (request, reply) => {
    const id = idFrom(request.params);
    const { version } = archiveChoice.parse(formValues(request.body));
    if (!confirmed(request)) {
      const actor = await actors.get(request.principal, id);
      assertMayWrite(request.principal, 'actors', actor.homeMunicipalityCode);
      if (actor.status !== 'archived') {
        return askFirst(request, reply, {
          question: request.t('actor.archive.question', { name: actor.name }),
          consequences: [request.t('actor.archive.what'), request.t('actor.archive.kept')],
          yes: request.t('actor.archive.yes'),
          back: `/actors/${id}`,
          fields: { version },
        });
      }
    }
    const archived = await actors.archive(request.principal, id, version);
    return reply.flash('flash.actorArchived', { name: archived.name }).redirect(`/actors/${id}`, 303);
  });
};
