import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { mayWrite, type WriteArea } from '../../lib/policy.ts';
import { writeTag } from '../../lib/write-tags.ts';
import { pageView } from '../../plugins/page-answers.ts';
import { type FirstStep, followUpLists, recordPath } from './follow-up.service.ts';

/**
 * Whose action items the page lists (the user's own, or everyone's in the municipality), and the
 * list it shows whole, if any.
 */
const itemsQuery = z.object({
  items: z.enum(['mine', 'all']).catch('mine'),
  show: z.enum(followUpLists).optional().catch(undefined),
});

/** Who may take each first step. */
const FIRST_STEP_AREA: Record<FirstStep, WriteArea> = { invite: 'users', actors: 'actors', round: 'grants' };

/** The follow-up page: where a user lands after signing in. */
export const followUpRoutes: FastifyPluginAsync = async (app) => {
  const { followUp } = app.services;

  // The navigation shows what is waiting, on every full page of a signed-in user.
  app.layoutData.push(async (request) => {
    const { municipalityCode, userId } = request.principal ?? {};
    if (municipalityCode == null || userId == null) return {};
    return { followUpCounts: await followUp.counts(municipalityCode, userId) };
  });

  app.get('/', async (request, reply) => {
    const { items, show } = itemsQuery.parse(request.query ?? {});
    const { municipalityCode, userId } = request.principal;
    if (municipalityCode === null || userId === null) return reply.redirect('/login', 303);
    // The page is the user's own: their action items, and what is due in their municipality.
    const build = async () => {
      const [overview, municipalities] = await Promise.all([
        followUp.overview({ municipalityCode, userId, mine: items === 'mine', whole: show }),
        app.services.municipalities.byCode(),
      ]);
      // The view model made as the page is rendered (page-answers.ts).
      return pageView(() => ({
        ...overview,
        items,
        show,
        changes: overview.changes.map((c) => ({ ...c, path: recordPath(c.entity, c.entityId, c.agreementId) })),
        municipalityName: municipalities.get(municipalityCode)?.name ?? '',
        canWriteAgreements: mayWrite(request.principal, 'agreements', municipalityCode),
        // The first steps this user can take; the others are left to the roles that may.
        firstSteps: overview.firstSteps.filter((step) =>
          mayWrite(request.principal, FIRST_STEP_AREA[step], municipalityCode),
        ),
        title: request.t('followUp.title'),
      }));
    };
    const tags = [writeTag.municipality(municipalityCode), writeTag.actors];
    return reply.page('index', build, { cache: { for: 'user', tags } });
  });
};
