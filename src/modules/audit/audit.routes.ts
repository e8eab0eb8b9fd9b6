import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { rowIdParam } from '../../lib/ids.ts';
import { mayReadAudit } from '../../lib/policy.ts';

const PAGE_SIZE = 50;
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .optional()
  .catch(undefined);

const auditFilters = z.object({
  entity: z.string().max(50).optional().catch(undefined),
  action: z.string().max(50).optional().catch(undefined),
  userId: rowIdParam.optional().catch(undefined),
  from: day,
  to: day,
  page: z.coerce.number().int().min(1).max(10_000).default(1).catch(1),
});

/** The audit page (Revisionsspor), for admin and finance, of their own municipality. */
export const auditRoutes: FastifyPluginAsync = async (app) => {
  const { audit } = app.services;

  app.get('/audit', async (request, reply) => {
    const filters = auditFilters.parse(request.query ?? {});
    const result = await audit.search(request.principal, {
      ...filters,
      entity: filters.entity || undefined,
      action: filters.action || undefined,
      limit: PAGE_SIZE,
      offset: (filters.page - 1) * PAGE_SIZE,
    });
    const partial = request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'audit-results';
    return reply.page(partial ? 'audit/_results' : 'audit/index', {
      title: request.t('audit.title'),
      filters,
      result,
      pageSize: PAGE_SIZE,
      facets: await audit.facets(request.principal),
      canRead: mayReadAudit(request.principal),
    });
  });
};
