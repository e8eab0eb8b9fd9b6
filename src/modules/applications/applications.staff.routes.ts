import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues, idFrom } from '../../lib/forms.ts';
import { actorRoles, orgTypes } from '../actors/actors.schemas.ts';
import { sendDocument } from './applications.download.ts';
import { documentKinds } from './applications.schemas.ts';
import {
  confirmActorForm,
  createActorForm,
  inboxQuery,
  inboxTabs,
  startReviewForm,
} from './applications.staff.schemas.ts';

/**
 * The staff side of applications (issue 21): a round's inbox in three tabs, an application's page
 * (what was sent, its documents, the registry's actor it is, its overdue reports), confirming or
 * creating its actor, starting its review, and its documents as downloads. Only the users of the
 * round's municipality see any of it; to everyone else it is 404.
 */
export const applicationStaffRoutes: FastifyPluginAsync = async (app) => {
  const { applicationInbox: inbox, municipalities, targetGroups } = app.services;

  app.get('/grant-rounds/:id/applications', async (request, reply) => {
    const { tab, page } = inboxQuery.parse(request.query ?? {});
    const found = await inbox.inbox(request.principal, idFrom(request.params), tab, page);
    return reply.page('grant-rounds/applications', {
      title: request.t('applications.inbox.title', { round: found.round.name }),
      ...found,
      tab,
      page,
      tabs: inboxTabs,
    });
  });

  /** The application's page; after a refused form, with its values and errors (422). */
  async function applicationPage(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const [found, groupNames, municipalityNames] = await Promise.all([
      inbox.get(request.principal, id),
      targetGroups.names(request.locale),
      municipalities.names(),
    ]);
    const name = found.application.organisationName ?? found.application.groupName ?? '';
    return reply.page(
      'applications/staff',
      {
        title: request.t('applications.staff.title', { name: name || `#${id}` }),
        ...found,
        groupNames,
        municipalityNames,
        municipality: municipalityNames[found.round.municipalityCode] ?? '',
        documentKinds,
        actorRoles,
        orgTypes: orgTypes.filter((t) => t !== 'informal_group'),
        values: {},
        ...extra,
      },
      { status },
    );
  }

  const translated = (request: FastifyRequest, errors: FieldErrors | undefined) =>
    translateFieldErrors(request.locale, errors);

  app.get('/applications/:id', async (request, reply) => applicationPage(request, reply, idFrom(request.params)));

  // The addresses the page's forms post to are pages too: the application's own, at the form.
  formAddress(app, '/applications/:id/actor', ({ id }) => `/applications/${id}#actor`);
  formAddress(app, '/applications/:id/new-actor', ({ id }) => `/applications/${id}#actor`);
  formAddress(app, '/applications/:id/start-review', ({ id }) => `/applications/${id}#actions`);

  app.post('/applications/:id/actor', async (request, reply) => {
    const id = idFrom(request.params);
    await inbox.assertMayHandle(request.principal, id);
    const values = formValues(request.body);
    const parsed = confirmActorForm.safeParse(coerceForm(confirmActorForm, values));
    if (!parsed.success)
      return applicationPage(
        request,
        reply,
        id,
        { confirmErrors: translated(request, fieldErrorsFrom(parsed.error)) },
        422,
      );
    try {
      await inbox.confirmActor(request.principal, id, parsed.data);
    } catch (err) {
      if (err instanceof AppError && err.code === 'VALIDATION_FAILED')
        return applicationPage(request, reply, id, { confirmErrors: translated(request, err.fieldErrors) }, 422);
      throw err;
    }
    return reply.flash('flash.applicationActorConfirmed').redirect(`/applications/${id}#actor`, 303);
  });

  app.post('/applications/:id/new-actor', async (request, reply) => {
    const id = idFrom(request.params);
    await inbox.assertMayHandle(request.principal, id);
    const values = formValues(request.body);
    const parsed = createActorForm.safeParse(coerceForm(createActorForm, values));
    const refused = (extra: Record<string, unknown>) => applicationPage(request, reply, id, { values, ...extra }, 422);
    if (!parsed.success) return refused({ createErrors: translated(request, fieldErrorsFrom(parsed.error)) });
    try {
      const { actor } = await inbox.createActor(request.principal, id, parsed.data);
      return reply.flash('flash.actorCreated', { name: actor.name }).redirect(`/applications/${id}#actor`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'SIMILAR_NAME')
        return refused({ candidates: err.details?.candidates as unknown[] });
      if (err instanceof AppError && err.fieldErrors)
        return refused({ createErrors: translated(request, err.fieldErrors), duplicateOf: err.details?.existing });
      throw err;
    }
  });

  app.post('/applications/:id/start-review', async (request, reply) => {
    const id = idFrom(request.params);
    const parsed = startReviewForm.safeParse(coerceForm(startReviewForm, formValues(request.body)));
    // A form without its version is a stale one: the version 0 never matches.
    await inbox.startReview(request.principal, id, parsed.success ? parsed.data.version : 0);
    return reply.flash('flash.applicationReviewStarted').redirect(`/applications/${id}`, 303);
  });

  app.get('/applications/:id/documents/:documentId', async (request, reply) => {
    const { document, content } = await inbox.openDocument(
      request.principal,
      idFrom(request.params),
      idFrom(request.params, 'documentId'),
    );
    return sendDocument(reply, document, content);
  });
};
