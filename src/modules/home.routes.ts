import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { localPath } from '../lib/forms.ts';
import { cookieOptions } from '../plugins/auth.ts';

/** The language switch's link: the language chosen, and the page to go back to. */
const languageQuery = z.object({ to: z.enum(['da', 'en']).catch('da'), back: z.string().max(2000).catch('/') });

/** Health, and the language switch (a cookie, so it works without JavaScript). */
export const homeRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const { health, accounts } = app.services;

  /** For load balancers and the container's health check: the process answers and the database too. */
  app.get('/healthz', async (_request, reply) => {
    await health.databaseAnswers();
    return reply.type('application/json').send({ status: 'ok', database: app.database.kind });
  });

  /** For orchestrators: ready when the database answers and every migration of this build is applied. */
  app.get('/readyz', async (_request, reply) => {
    if (app.draining) return reply.code(503).type('application/json').send({ status: 'stopping' });
    const expected = health.migrationsShipped();
    try {
      const applied = await health.migrationsApplied();
      const ready = applied >= expected;
      return reply
        .code(ready ? 200 : 503)
        .type('application/json')
        .send({ status: ready ? 'ready' : 'migrating', migrations: { applied, expected } });
    } catch {
      return reply.code(503).type('application/json').send({ status: 'unavailable', reason: 'database' });
    }
  });

  app.get('/language', async (request, reply) => {
    const { to, back } = languageQuery.parse(request.query ?? {});
    // A signed-in user's choice is also the language of their mails, when the user clicked the
    // switch: a link or image on another site (Sec-Fetch-Site: cross-site or same-site) sets this
    // browser's cookie but stores nothing.
    const site = request.headers['sec-fetch-site'];
    const fromThisSite = site === undefined || site === 'same-origin' || site === 'none';
    if (request.principal.userId !== null && fromThisSite) await accounts.setOwnLocale(request.principal, to);
    reply.setCookie('lang', to, { ...cookieOptions(config), maxAge: 60 * 60 * 24 * 365 });
    return reply.redirect(localPath(back), 303);
  });
};
