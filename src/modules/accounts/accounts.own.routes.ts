import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError, validationFailed } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues } from '../../lib/forms.ts';
import { cookieOptions } from '../../plugins/auth.ts';
import { changeEmailInput, localeInput } from './accounts.schemas.ts';

/** A user's own e-mail address (its own page, like the password's) and the language of their mails. */
export const accountOwnRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const { accounts } = app.services;

  const emailPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: Record<string, unknown>,
    status = 200,
  ) =>
    reply.page(
      'accounts/email',
      {
        title: request.t('account.email.title'),
        user: await accounts.getUser(request.principal.userId ?? 0),
        values: {},
        ...extra,
      },
      { status },
    );

  app.get('/account/email', async (request, reply) => emailPage(request, reply, {}));

  app.post('/account/email', async (request, reply) => {
    const values = formValues(request.body);
    const shown = { newEmail: values.newEmail };
    const parsed = changeEmailInput.safeParse(coerceForm(changeEmailInput, values));
    if (!parsed.success)
      return emailPage(
        request,
        reply,
        { values: shown, fieldErrors: translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error)) },
        422,
      );
    try {
      await accounts.changeOwnEmail(request.principal, parsed.data, request.ip);
    } catch (err) {
      if (err instanceof AppError && err.code === 'WRONG_PASSWORD')
        return emailPage(
          request,
          reply,
          { values: shown, fieldErrors: translateFieldErrors(request.locale, err.fieldErrors) },
          422,
        );
      if (err instanceof AppError && err.code === 'DUPLICATE_EMAIL')
        return emailPage(
          request,
          reply,
          { values: shown, fieldErrors: translateFieldErrors(request.locale, { newEmail: [err.message] }) },
          409,
        );
      if (err instanceof AppError && err.code === 'LOGIN_RATE_LIMITED')
        return emailPage(request, reply, { values: shown, failure: request.t(err.message) }, err.statusCode);
      throw err;
    }
    app.mailSender.kick();
    return reply.flash('flash.emailChanged').redirect('/account', 303);
  });

  // The account page's language form posts here; a GET of it leads to the page.
  formAddress(app, '/account/language', () => '/account#h-language');

  /** The language of the user's mails, and of their pages in this browser (the switch's cookie). */
  app.post('/account/language', async (request, reply) => {
    const parsed = localeInput.safeParse(coerceForm(localeInput, formValues(request.body)));
    if (!parsed.success) throw validationFailed(fieldErrorsFrom(parsed.error));
    await accounts.setOwnLocale(request.principal, parsed.data.locale);
    reply.setCookie('lang', parsed.data.locale, { ...cookieOptions(config), maxAge: 60 * 60 * 24 * 365 });
    return reply.flash('flash.languageSaved').redirect('/account', 303);
  });
};
