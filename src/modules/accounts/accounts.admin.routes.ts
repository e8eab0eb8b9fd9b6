import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues, idFrom } from '../../lib/forms.ts';
import { assertMayWrite, mayWrite } from '../../lib/policy.ts';
import { userRoles } from '../../lib/principal.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import type { UserRow } from './accounts.repository.ts';
import { editUserInput, resetPasswordInput } from './accounts.schemas.ts';

/**
 * An admin edits a user of their municipality (e-mail, name, role, municipality), sets a temporary
 * password, or sends a new welcome link.
 */
export const accountAdminRoutes: FastifyPluginAsync = async (app) => {
  const { accounts, municipalities } = app.services;

  /** The user, once the acting admin is known to be one who may edit them: permission first. */
  const editableUser = async (request: FastifyRequest): Promise<UserRow> => {
    const user = await accounts.getUser(idFrom(request.params, 'userId'));
    assertMayWrite(request.principal, 'users', user.municipalityCode);
    return user;
  };

  const editPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRow,
    extra: { values?: Record<string, unknown>; fieldErrors?: FieldErrors; resetErrors?: FieldErrors; failure?: string },
    status = 200,
  ) => {
    return reply.page(
      'admin/user-edit',
      {
        title: request.t('users.edit.title', { name: user.name }),
        target: user,
        values: extra.values ?? {
          email: user.email,
          name: user.name,
          role: user.role,
          municipalityCode: user.municipalityCode,
        },
        fieldErrors: translateFieldErrors(request.locale, extra.fieldErrors),
        resetErrors: translateFieldErrors(request.locale, extra.resetErrors),
        failure: extra.failure,
        userRoles,
        // The municipalities the admin may move the user to: those whose users they write.
        municipalities: (await municipalities.all()).filter((m) => mayWrite(request.principal, 'users', m.code)),
      },
      { status },
    );
  };

  app.get('/admin/users/:userId/edit', async (request, reply) =>
    editPage(request, reply, await editableUser(request), {}),
  );

  // The edit page's two forms post to these addresses; a GET of either leads to the page.
  formAddress(app, '/admin/users/:userId', ({ userId }) => `/admin/users/${userId}/edit`);
  formAddress(app, '/admin/users/:userId/password', ({ userId }) => `/admin/users/${userId}/edit`);
  formAddress(app, '/admin/users/:userId/welcome', ({ userId }) => `/admin/users/${userId}/edit`);

  app.post('/admin/users/:userId', async (request, reply) => {
    const user = await editableUser(request);
    const values = formValues(request.body);
    const parsed = editUserInput.safeParse(coerceForm(editUserInput, values));
    if (!parsed.success)
      return editPage(request, reply, user, { values, fieldErrors: fieldErrorsFrom(parsed.error) }, 422);
    try {
      const saved = await accounts.editUser(request.principal, user.id, parsed.data);
      if (saved.email !== user.email) app.mailSender.kick();
      reply.flash('flash.userSaved', { name: saved.name });
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const current = await accounts.getUser(user.id);
        return editPage(request, reply, current, { failure: request.t('error.staleVersion') }, 409);
      }
      if (err instanceof AppError && err.fieldErrors)
        return editPage(
          request,
          reply,
          user,
          { values, fieldErrors: err.fieldErrors },
          err.statusCode === 409 ? 409 : 422,
        );
      throw err;
    }
    return reply.redirect('/admin/users', 303);
  });

  app.post('/admin/users/:userId/password', async (request, reply) => {
    const user = await editableUser(request);
    const parsed = resetPasswordInput.safeParse(coerceForm(resetPasswordInput, formValues(request.body)));
    if (!parsed.success) return editPage(request, reply, user, { resetErrors: fieldErrorsFrom(parsed.error) }, 422);
    await accounts.resetPassword(request.principal, user.id, parsed.data.password);
    app.mailSender.kick();
    reply.flash('flash.userPasswordReset', { name: user.name });
    return reply.redirect(`/admin/users/${user.id}/edit`, 303);
  });

  /** A new welcome link by mail (the first was lost or has expired): asked first, audited. */
  app.post('/admin/users/:userId/welcome', async (request, reply) => {
    const user = await editableUser(request);
    if (!confirmed(request) && user.active) {
      return askFirst(request, reply, {
        question: request.t('users.welcome.question', { name: user.name }),
        consequences: [request.t('users.welcome.what', { email: user.email }), request.t('users.welcome.old')],
        yes: request.t('users.welcome.yes'),
        back: `/admin/users/${user.id}/edit`,
      });
    }
    await accounts.sendWelcomeLink(request.principal, user.id);
    app.mailSender.kick();
    reply.flash('flash.welcomeLinkSent', { name: user.name });
    return reply.redirect(`/admin/users/${user.id}/edit`, 303);
  });
};
