import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { translate } from '../../i18n/index.ts';
import { notFound } from '../../lib/errors.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { toIcs } from './ical.ts';

/**
 * The calendar feed's page on the account, and the feed itself (public, behind its secret). The
 * feed is fetched without a session, so its address carries the owner's language: `?lang=en` when
 * the owner used English as the address was made; Danish without it.
 */
const feedParams = z.object({ file: z.string().max(120) });
const feedQuery = z.object({ lang: z.enum(['da', 'en']).catch('da') });

export const calendarRoutes: FastifyPluginAsync = async (app) => {
  const { calendar, municipalities } = app.services;
  const base = (request: { protocol: string; host: string }) => `${request.protocol}://${request.host}`;

  app.get('/account/calendar', async (request, reply) => {
    const feed = await calendar.feedOf(request.principal.userId ?? 0);
    return reply.page('accounts/calendar', { title: request.t('calendar.title'), feed });
  });

  app.post('/account/calendar', async (request, reply) => {
    const token = await calendar.createFeed(request.principal);
    reply.flash('flash.calendarCreated');
    const feed = await calendar.feedOf(request.principal.userId ?? 0);
    const lang = request.locale === 'da' ? '' : `?lang=${request.locale}`;
    return reply.page(
      'accounts/calendar',
      { title: request.t('calendar.title'), feed, feedUrl: `${base(request)}/calendar/${token}.ics${lang}` },
      { status: 201 },
    );
  });

  app.post('/account/calendar/revoke', async (request, reply) => {
    if (!confirmed(request) && (await calendar.feedOf(request.principal.userId ?? 0))) {
      return askFirst(request, reply, {
        question: request.t('calendar.revoke.question'),
        consequences: [request.t('calendar.revoke.what'), request.t('calendar.revoke.final')],
        yes: request.t('calendar.revoke.yes'),
        back: '/account/calendar',
      });
    }
    await calendar.revokeFeed(request.principal);
    return reply.flash('flash.calendarRevoked').redirect('/account/calendar', 303);
  });

  // Any address under /calendar/ is public (auth.ts): one that is no feed's is simply not found.
  app.get('/calendar/:file', async (request, reply) => {
    const params = feedParams.safeParse(request.params);
    const file = params.success ? params.data.file : '';
    const token = file.endsWith('.ics') ? file.slice(0, -4) : '';
    const user = token ? await calendar.userOfFeed(token) : undefined;
    if (!user) throw notFound('calendar', 'feed');
    const { lang } = feedQuery.parse(request.query ?? {});
    const t = (key: string, params: Record<string, string>) => translate(lang, key, params);
    const municipality = (await municipalities.byCode()).get(user.municipalityCode)?.name ?? '';
    const events = await calendar.events(user.municipalityCode, base(request), t);
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', 'inline; filename="samspil.ics"')
      .header('content-language', lang)
      .header('cache-control', 'no-store')
      .send(toIcs(t('calendar.name', { municipality }), events));
  });
};
