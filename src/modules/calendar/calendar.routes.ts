import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import { toIcs } from './ical.ts';

/** The calendar feed's page on the account, and the feed itself (public, behind its secret). */
const feedParams = z.object({ file: z.string().max(120) });

export const calendarRoutes: FastifyPluginAsync = async (app) => {
  const { calendar, municipalities } = app.services;
  const base = (request: { protocol: string; host: string }) => `${request.protocol}://${request.host}`;

  app.get('/account/calendar', async (request, reply) => {
    const feed = await calendar.feedOf(request.principal.userId ?? 0);
    return reply.page('accounts/calendar', { title: request.t('calendar.title'), feed });
  });

  app.post('/account/calendar', async (request, reply) => {
    const token = await calendar.createFeed(request.principal);
    const feed = await calendar.feedOf(request.principal.userId ?? 0);
    return reply.page(
      'accounts/calendar',
      { title: request.t('calendar.title'), feed, feedUrl: `${base(request)}/calendar/${token}.ics` },
      { status: 201 },
    );
  });

  app.post('/account/calendar/revoke', async (request, reply) => {
    await calendar.revokeFeed(request.principal);
    return reply.redirect('/account/calendar', 303);
  });

  app.get('/calendar/:file', async (request, reply) => {
    const { file } = feedParams.parse(request.params);
    const token = file.endsWith('.ics') ? file.slice(0, -4) : '';
    const user = token ? await calendar.userOfFeed(token) : undefined;
    if (!user) throw notFound('calendar', 'feed');
    const name = (await municipalities.byCode()).get(user.municipalityCode)?.name ?? '';
    const ics = toIcs(`Samspil – ${name}`, await calendar.events(user.municipalityCode, base(request)));
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', 'inline; filename="samspil.ics"')
      .header('cache-control', 'no-store')
      .send(ics);
  });
};
