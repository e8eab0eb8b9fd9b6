import type { FastifyPluginAsync } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { validationFailed } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues } from '../../lib/forms.ts';
import { digestPreferencesInput, digestTimeInput, unsubscribeQuery } from './digests.schemas.ts';

const MAIL_PAGE_SIZE = 50;

/**
 * Reminder digests: a user's choice on the account page, the municipality's time on the admin's mail
 * page, and the unsubscribe link of each digest (RFC 8058: a POST to it, without a session or a
 * CSRF token, turns the digests off; the link's HMAC is the authentication).
 */
export const digestsRoutes: FastifyPluginAsync = async (app) => {
  const { digests, mail } = app.services;

  formAddress(app, '/account/digest', () => '/account#digest');
  formAddress(app, '/admin/mail/digest-time', () => '/admin/mail');

  app.post('/account/digest', async (request, reply) => {
    const parsed = digestPreferencesInput.safeParse(coerceForm(digestPreferencesInput, formValues(request.body)));
    if (!parsed.success) throw validationFailed(fieldErrorsFrom(parsed.error));
    await digests.setPreferences(request.principal, parsed.data);
    return reply.flash('flash.digestSaved').redirect('/account#digest', 303);
  });

  app.post('/admin/mail/digest-time', async (request, reply) => {
    // Who may act first: the form's error page shows the municipality's mails.
    await digests.digestTime(request.principal);
    const values = formValues(request.body);
    const parsed = digestTimeInput.safeParse(coerceForm(digestTimeInput, values));
    if (!parsed.success) {
      return reply.page(
        'admin/mail',
        {
          title: request.t('mail.page.title'),
          filters: { page: 1 },
          result: await mail.list(request.principal, { limit: MAIL_PAGE_SIZE, offset: 0 }),
          pageSize: MAIL_PAGE_SIZE,
          digest: { digestTime: values.digestTime ?? '', version: Number(values.version) || 0 },
          fieldErrors: translateFieldErrors(request.locale, fieldErrorsFrom(parsed.error)),
        },
        { status: 422 },
      );
    }
    await digests.setDigestTime(request.principal, parsed.data);
    return reply.flash('flash.digestTimeSaved').redirect('/admin/mail', 303);
  });

  app.get('/mail/unsubscribe', async (request, reply) => {
    const query = unsubscribeQuery.safeParse(request.query ?? {});
    if (!query.success) throw validationFailed({});
    await digests.assertUnsubscribeLink(query.data.user, query.data.token);
    return reply.page('mail/unsubscribe', {
      title: request.t('digest.unsubscribe.title'),
      action: `/mail/unsubscribe?user=${query.data.user}&token=${encodeURIComponent(query.data.token)}`,
    });
  });

  app.post('/mail/unsubscribe', async (request, reply) => {
    const query = unsubscribeQuery.safeParse(request.query ?? {});
    if (!query.success) throw validationFailed({});
    await digests.unsubscribe(query.data.user, query.data.token);
    return reply.page('mail/unsubscribe', { title: request.t('digest.unsubscribe.title'), done: true });
  });
};
