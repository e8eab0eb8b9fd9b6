import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { migrationsFolder } from '../db/migrate.ts';
import { localPath } from '../lib/forms.ts';
import { cookieOptions } from '../plugins/auth.ts';

let journalEntries: number | undefined;
/** How many migrations this build ships (drizzle's journal). */
function journalLength(): number {
  journalEntries ??= (
    JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
  ).entries.length;
  return journalEntries;
}

/** Health, and the language switch (a cookie, so it works without JavaScript). */
export const homeRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  /** For load balancers and the container's health check: the process answers and the database too. */
  app.get('/healthz', async (_request, reply) => {
    await app.database.rows(sql`select 1 as ok`);
    return reply.type('application/json').send({ status: 'ok', database: app.database.kind });
  });

  /** For orchestrators: ready when the database answers and every migration of this build is applied. */
  app.get('/readyz', async (_request, reply) => {
    if (app.draining) return reply.code(503).type('application/json').send({ status: 'stopping' });
    const expected = journalLength();
    try {
      const [row] = await app.database.rows<{ n: number }>(
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      const applied = Number(row?.n ?? 0);
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
    const { to, back } = z
      .object({ to: z.enum(['da', 'en']).catch('da'), back: z.string().max(2000).catch('/') })
      .parse(request.query ?? {});
    reply.setCookie('lang', to, { ...cookieOptions(config), maxAge: 60 * 60 * 24 * 365 });
    return reply.redirect(localPath(back), 303);
  });
};
