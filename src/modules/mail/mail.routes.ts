import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';

const PAGE_SIZE = 50;
const mailPageQuery = z.object({
  status: z.enum(['queued', 'sent', 'failed']).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
});

/** The mail page: an admin sees what their municipality's mail did, and which mail failed and why. */
export const mailRoutes: FastifyPluginAsync = async (app) => {
  const { mail, digests } = app.services;

  app.get('/admin/mail', async (request, reply) => {
    const filters = mailPageQuery.parse(request.query ?? {});
    const result = await mail.list(request.principal, {
      status: filters.status,
      limit: PAGE_SIZE,
      offset: (filters.page - 1) * PAGE_SIZE,
    });
    return reply.page('admin/mail', {
      title: request.t('mail.page.title'),
      filters,
      result,
      pageSize: PAGE_SIZE,
      digest: await digests.digestTime(request.principal),
    });
  });
};
