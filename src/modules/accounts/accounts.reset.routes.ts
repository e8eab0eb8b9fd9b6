import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues } from '../../lib/forms.ts';
import { outsideStatementScope } from '../../lib/statement-scope.ts';
import { forgottenPasswordInput, linkPasswordInput } from './accounts.schemas.ts';

const tokenQuery = z.object({ token: z.string().max(200).optional().catch(undefined) });

/**
 * A forgotten password, without signing in: ask for a link by e-mail, then choose a new password
 * through it. The answer to asking is the same page for every address, and it is sent before the
 * address is looked up: neither its words nor its timing say whether the address has an account.
 */
export const passwordResetRoutes: FastifyPluginAsync = async (app) => {
  const { accounts } = app.services;

  const forgottenPage = (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>, status = 200) =>
    reply.page(
      'accounts/forgotten',
      { title: request.t('password.forgotten.title'), values: {}, ...extra },
      { status },
    );

  app.get('/password/forgotten', async (request, reply) => forgottenPage(request, reply, {}));

  app.post('/password/forgotten', async (request, reply) => {
    const values = formValues(request.body);
    const parsed = forgottenPasswordInput.safeParse(coerceForm(forgottenPasswordInput, values));
    if (!parsed.success)
      return forgottenPage(
        request,
        reply,
        { values, fieldErrors: translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error)) },
        422,
      );
    const { email } = parsed.data;
    // The lookup and the mail happen once the answer has gone (or the client has hung up): the
    // timing is the same for every address, and a client that leaves early still gets its link.
    // Outside the request's statement scope: on PostgreSQL that scope cancels the statements of a
    // request whose connection closes, and this work starts as the answer is sent. The mail is in
    // the user's stored language, not this browser's.
    reply.raw.once('close', () => {
      outsideStatementScope(() => accounts.requestPasswordReset(email))
        .then((queued) => queued && app.mailSender.kick())
        .catch((err) => app.log.error({ err }, 'password reset request failed'));
    });
    return forgottenPage(request, reply.flash('flash.passwordLinkSent', { minutes: 30 }), { sent: true });
  });

  const resetPage = (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>, status = 200) =>
    reply.page(
      'accounts/reset',
      { title: request.t(extra.welcome ? 'password.welcome.title' : 'password.reset.title'), ...extra },
      { status },
    );

  /** A forgotten password's link and a new user's welcome link lead here. */
  app.get('/password/reset', async (request, reply) => {
    const { token } = tokenQuery.parse(request.query ?? {});
    const purpose = token ? await accounts.livePasswordLink(token) : undefined;
    return resetPage(request, reply, {
      token: purpose ? token : undefined,
      invalid: !purpose,
      welcome: purpose === 'welcome',
    });
  });

  app.post('/password/reset', async (request, reply) => {
    const values = formValues(request.body);
    const parsed = linkPasswordInput.safeParse(coerceForm(linkPasswordInput, values));
    if (!parsed.success) {
      const token = typeof values.token === 'string' ? values.token : undefined;
      return resetPage(
        request,
        reply,
        { token, fieldErrors: translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error)) },
        422,
      );
    }
    let purpose: string;
    try {
      purpose = await accounts.resetForgottenPassword(parsed.data.token, parsed.data.newPassword);
    } catch (err) {
      if (err instanceof AppError && err.code === 'RESET_LINK_INVALID')
        return resetPage(request, reply, { invalid: true }, 400);
      throw err;
    }
    app.mailSender.kick();
    return reply
      .flash(purpose === 'welcome' ? 'flash.welcomePasswordSet' : 'flash.passwordReset')
      .redirect('/login', 303);
  });
};
