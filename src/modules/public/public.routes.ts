import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.ts';
import { notFound } from '../../lib/errors.ts';
import { idFrom } from '../../lib/forms.ts';
import { sharedData, writeTag } from '../../lib/write-tags.ts';
import type { PageData } from '../../plugins/views.ts';
import type { PublicRound } from './public.schemas.ts';
import { publicCodeParams } from './public.schemas.ts';

/** The day the accessibility statement was written (and last reviewed against the pages). */
const ACCESSIBILITY_STATEMENT_DATE = '2026-12-05';

/** The order the phases are shown in on a municipality's page. */
const PHASES = ['open', 'upcoming', 'closed', 'decided'] as const;

/**
 * The public pages, open to anyone without signing in: the municipalities with § 18 rounds, a
 * municipality's rounds, a round with its criteria (and its distribution list once decided), and
 * the accessibility statement. They use the public layout, which shows nothing of a signed-in user,
 * so a kept page is the same for everyone; it is kept per address, language and Danish day.
 */
export const publicRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const service = app.services.publicRounds;

  app.get('/public', async (request, reply) =>
    reply.page(
      'public/index',
      async () => ({ title: request.t('public.index.title'), municipalities: await service.municipalities() }),
      { layout: 'public', cache: { for: 'shared', tags: [writeTag.anyMunicipality, writeTag.municipalities] } },
    ),
  );

  app.get('/public/municipalities/:code/rounds', async (request, reply) => {
    const parsed = publicCodeParams.safeParse(request.params);
    if (!parsed.success) throw notFound('municipality', String((request.params as { code?: unknown }).code));
    const { code } = parsed.data;
    const build = async (): Promise<PageData & { title: string }> => {
      const municipality = await service.municipality(code);
      const { items } = await service.rounds({ municipalityCode: code, limit: 500, offset: 0 });
      const groups = PHASES.map((phase) => ({ phase, rounds: items.filter((r: PublicRound) => r.phase === phase) }));
      return {
        title: request.t('public.rounds.title', { municipality: municipality.name }),
        municipality,
        groups,
      };
    };
    return reply.page('public/municipalities/rounds', build, {
      layout: 'public',
      cache: { for: 'shared', tags: [writeTag.municipality(code), writeTag.targetGroups, writeTag.municipalities] },
    });
  });

  app.get('/public/rounds/:id', async (request, reply) => {
    const id = idFrom(request.params);
    const build = async () => {
      const round = await service.round(id);
      return { title: round.name, round };
    };
    const tags = (data: PageData) => [
      writeTag.municipality((data.round as PublicRound).municipalityCode),
      ...sharedData,
    ];
    return reply.page('public/rounds/show', build, { layout: 'public', cache: { for: 'shared', tags } });
  });

  app.get('/accessibility', async (request, reply) =>
    reply.page(
      'accessibility/index',
      {
        title: request.t('a11y.title'),
        contact: config.accessibilityContact,
        statementDate: ACCESSIBILITY_STATEMENT_DATE,
      },
      { layout: 'public' },
    ),
  );
};
