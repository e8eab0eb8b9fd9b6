import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, type FieldErrors } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues, idFrom, localPath } from '../../lib/forms.ts';
import { assertMayWrite, mayWriteArea } from '../../lib/policy.ts';
import { userRoles } from '../../lib/principal.ts';
import { cookieNames, cookieOptions } from '../../plugins/auth.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { changePasswordInput, inviteUserInput, loginInput, setupInput, tokenNameInput } from './accounts.schemas.ts';

/** Where to go after signing in. */
const nextQuery = z.object({ next: z.string().optional().catch(undefined) });

export const accountsRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const { accounts, municipalities, digests } = app.services;
  const names = cookieNames(config);

  const translated = (request: FastifyRequest, errors: FieldErrors | undefined) =>
    translateFieldErrors(request.locale, errors);
  const body = (request: FastifyRequest) => formValues(request.body);

  const startSession = (reply: FastifyReply, token: string) => {
    reply.setCookie(names.session, token, { ...cookieOptions(config), maxAge: config.session.absoluteHours * 3600 });
    reply.clearCookie(names.csrf, cookieOptions(config));
  };

  app.get('/login', async (request, reply) => {
    if (request.principal.userId !== null) return reply.redirect('/', 303);
    const { next } = nextQuery.parse(request.query ?? {});
    return reply.page('accounts/login', {
      title: request.t('login.title'),
      values: {},
      next: localPath(next),
    });
  });

  app.post('/login', async (request, reply) => {
    const values = body(request);
    const next = localPath(values.next);
    const parsed = loginInput.safeParse(coerceForm(loginInput, values));
    if (!parsed.success) {
      return reply.page(
        'accounts/login',
        {
          title: request.t('login.title'),
          values,
          next,
          fieldErrors: translated(request, fieldErrorsFrom(parsed.error)),
        },
        { status: 422 },
      );
    }
    try {
      const { token } = await accounts.login(parsed.data.email, parsed.data.password, request.ip);
      startSession(reply, token);
      return reply.redirect(next, 303);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'LOGIN_FAILED' || err.code === 'LOGIN_RATE_LIMITED')) {
        return reply.page(
          'accounts/login',
          { title: request.t('login.title'), values: { email: values.email }, next, failure: request.t(err.message) },
          { status: err.statusCode },
        );
      }
      throw err;
    }
  });

  app.post('/logout', async (request, reply) => {
    if (request.session) await accounts.logout(request.principal, request.session.id);
    reply.clearCookie(names.session, cookieOptions(config));
    return reply.redirect('/login', 303);
  });

  app.get('/setup', async (_request, reply) => {
    if (await accounts.hasUsers()) return reply.redirect('/login', 303);
    return reply.page('accounts/setup', {
      title: _request.t('setup.title'),
      values: {},
      municipalities: await municipalities.all(),
    });
  });

  app.post('/setup', async (request, reply) => {
    if (await accounts.hasUsers()) return reply.redirect('/login', 303);
    const values = body(request);
    const fail = async (fieldErrors: FieldErrors | undefined, status = 422) =>
      reply.page(
        'accounts/setup',
        {
          title: request.t('setup.title'),
          values: { ...values, password: '' },
          fieldErrors: translated(request, fieldErrors),
          municipalities: await municipalities.all(),
        },
        { status },
      );
    const parsed = setupInput.safeParse(coerceForm(setupInput, values));
    if (!parsed.success) return fail(fieldErrorsFrom(parsed.error));
    try {
      await accounts.setupFirstAdmin(parsed.data);
    } catch (err) {
      if (err instanceof AppError && err.fieldErrors) return fail(err.fieldErrors);
      throw err;
    }
    const { token } = await accounts.login(parsed.data.email, parsed.data.password, request.ip);
    startSession(reply, token);
    return reply.redirect('/', 303);
  });

  /** The user's own page: who they are, and their API tokens. */
  app.get('/account', async (request, reply) => {
    const user = await accounts.getUser(request.principal.userId ?? 0);
    return reply.page('accounts/account', {
      title: request.t('account.title'),
      user,
      tokens: await accounts.listApiTokens(user.id),
      municipalityName: (await municipalities.all()).find((m) => m.code === user.municipalityCode)?.name,
      digest: await digests.preferences(request.principal),
    });
  });

  /** Changing one's own password; the only page (with sign-out) of a user whose password is temporary. */
  const passwordPage = (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>, status = 200) =>
    reply.page(
      'accounts/password',
      {
        title: request.t('account.password.title'),
        values: {},
        mustChange: request.session?.mustChangePassword ?? false,
        ...extra,
      },
      { status },
    );

  app.get('/account/password', async (request, reply) => passwordPage(request, reply, {}));

  app.post('/account/password', async (request, reply) => {
    const parsed = changePasswordInput.safeParse(coerceForm(changePasswordInput, body(request)));
    if (!parsed.success)
      return passwordPage(request, reply, { fieldErrors: translated(request, fieldErrorsFrom(parsed.error)) }, 422);
    try {
      await accounts.changeOwnPassword(request.principal, request.session?.id ?? 0, parsed.data, request.ip);
      app.mailSender.kick();
    } catch (err) {
      if (err instanceof AppError && err.code === 'WRONG_PASSWORD')
        return passwordPage(request, reply, { fieldErrors: translated(request, err.fieldErrors) }, 422);
      if (err instanceof AppError && err.code === 'LOGIN_RATE_LIMITED')
        return passwordPage(request, reply, { failure: request.t(err.message) }, err.statusCode);
      throw err;
    }
    return reply.flash('flash.passwordChanged').redirect('/account', 303);
  });

  formAddress(app, '/account/tokens', () => '/account#h-tokens');

  app.post('/account/tokens', async (request, reply) => {
    const userId = request.principal.userId ?? 0;
    const values = body(request);
    const parsed = tokenNameInput.safeParse(coerceForm(tokenNameInput, values));
    const user = await accounts.getUser(userId);
    const page = async (extra: Record<string, unknown>, status: number) =>
      reply.page(
        'accounts/account',
        {
          title: request.t('account.title'),
          user,
          tokens: await accounts.listApiTokens(userId),
          municipalityName: (await municipalities.all()).find((m) => m.code === user.municipalityCode)?.name,
          digest: await digests.preferences(request.principal),
          ...extra,
        },
        { status },
      );
    if (!parsed.success) return page({ fieldErrors: translated(request, fieldErrorsFrom(parsed.error)), values }, 422);
    const created = await accounts.createApiToken(request.principal, userId, parsed.data.name);
    reply.flash('flash.apiTokenCreated', { name: parsed.data.name });
    return page({ newToken: created.token }, 201);
  });

  app.post('/account/tokens/:tokenId/revoke', async (request, reply) => {
    const tokenId = idFrom(request.params, 'tokenId');
    if (!confirmed(request) && request.principal.userId !== null) {
      // Only the user's own live key is asked about; any other is the service's 404.
      const token = (await accounts.listApiTokens(request.principal.userId)).find(
        (tk) => tk.id === tokenId && !tk.revokedAt,
      );
      if (token) {
        return askFirst(request, reply, {
          question: request.t('account.tokens.revoke.question', { name: token.name }),
          consequences: [request.t('account.tokens.revoke.what'), request.t('account.tokens.revoke.final')],
          yes: request.t('account.tokens.revoke.yes'),
          back: '/account',
        });
      }
    }
    await accounts.revokeApiToken(request.principal, tokenId);
    return reply.flash('flash.apiTokenRevoked').redirect('/account', 303);
  });

  /** An admin manages the users of their own municipality. */
  app.get('/admin/users', async (request, reply) => {
    if (!mayWriteArea(request.principal, 'users')) throw new AppError('FORBIDDEN', 403, 'error.forbidden');
    return reply.page('admin/users', {
      title: request.t('users.title'),
      users: await accounts.listUsers(request.principal),
      values: {},
      userRoles,
    });
  });

  app.post('/admin/users', async (request, reply) => {
    // The role first: the form's error page lists the municipality's users.
    if (!mayWriteArea(request.principal, 'users')) throw new AppError('FORBIDDEN', 403, 'error.forbidden');
    const values = body(request);
    const input = { ...values, municipalityCode: String(request.principal.municipalityCode ?? '') };
    const fail = async (fieldErrors: FieldErrors | undefined) =>
      reply.page(
        'admin/users',
        {
          title: request.t('users.title'),
          users: await accounts.listUsers(request.principal),
          values,
          fieldErrors: translated(request, fieldErrors),
          userRoles,
        },
        { status: 422 },
      );
    const parsed = inviteUserInput.safeParse(coerceForm(inviteUserInput, input));
    if (!parsed.success) return fail(fieldErrorsFrom(parsed.error));
    try {
      const created = await accounts.inviteUser(request.principal, parsed.data);
      app.mailSender.kick();
      reply.flash('flash.userCreated', { name: created.name });
    } catch (err) {
      if (err instanceof AppError && err.fieldErrors) return fail(err.fieldErrors);
      throw err;
    }
    return reply.redirect('/admin/users', 303);
  });

  app.post('/admin/users/:userId/deactivate', async (request, reply) => {
    const userId = idFrom(request.params, 'userId');
    if (!confirmed(request)) {
      const user = await accounts.getUser(userId);
      assertMayWrite(request.principal, 'users', user.municipalityCode);
      if (user.active && user.id !== request.principal.userId) {
        return askFirst(request, reply, {
          question: request.t('users.deactivate.question', { name: user.name }),
          consequences: [request.t('users.deactivate.what'), request.t('users.deactivate.tokens')],
          yes: request.t('users.deactivate.yes'),
          back: '/admin/users',
        });
      }
    }
    await accounts.setActive(request.principal, userId, false);
    reply.flash('flash.userDeactivated', { name: (await accounts.getUser(userId)).name });
    return reply.redirect('/admin/users', 303);
  });

  app.post('/admin/users/:userId/activate', async (request, reply) => {
    const id = idFrom(request.params, 'userId');
    await accounts.setActive(request.principal, id, true);
    reply.flash('flash.userActivated', { name: (await accounts.getUser(id)).name });
    return reply.redirect('/admin/users', 303);
  });

  app.post('/admin/users/:userId/end-sessions', async (request, reply) => {
    const id = idFrom(request.params, 'userId');
    await accounts.endSessionsOf(request.principal, id);
    reply.flash('flash.userSessionsEnded', { name: (await accounts.getUser(id)).name });
    return reply.redirect('/admin/users', 303);
  });
};
