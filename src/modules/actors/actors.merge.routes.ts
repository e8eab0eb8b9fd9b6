import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { formValues } from '../../lib/forms.ts';
import { isRowId } from '../../lib/ids.ts';
import { assertMayCreate } from '../../lib/policy.ts';
import { MERGE_FIELDS } from './actors.schemas.ts';

/** The actors to merge, from the page's query or form: at most twenty ids. */
const mergeIds = (raw: unknown): number[] =>
  (Array.isArray(raw) ? raw : [raw]).map(Number).filter(isRowId).slice(0, 20);

/** Merging duplicate actors: the page comparing them, and the merge into the one kept. */
export const actorMergeRoutes: FastifyPluginAsync = async (app) => {
  const { municipalities } = app.services;

  async function mergePage(_request: FastifyRequest, reply: FastifyReply, ids: number[], extra = {}, status = 200) {
    const preview = await app.services.actorMerges.preview(ids);
    const municipalityNames = await municipalities.names();
    return reply.page(
      'actors/merge',
      {
        title: reply.request.t('merge.title'),
        ...preview,
        fields: MERGE_FIELDS,
        municipalityNames,
        values: {},
        ...extra,
      },
      { status },
    );
  }

  app.get('/actors/merge', async (request, reply) => {
    assertMayCreate(request.principal, 'actors');
    return mergePage(request, reply, mergeIds((request.query as Record<string, unknown> | undefined)?.ids));
  });

  app.post('/actors/merge', async (request, reply) => {
    const values = formValues(request.body);
    const ids = mergeIds(values.ids);
    const survivorId = Number(values.survivorId);
    const choose = Object.fromEntries(
      MERGE_FIELDS.flatMap((f) => {
        const v = Number((values.choose as Record<string, unknown> | undefined)?.[f]);
        return Number.isSafeInteger(v) && v > 0 ? [[f, v]] : [];
      }),
    );
    const versions = Object.fromEntries(
      Object.entries((values.versions as Record<string, unknown> | undefined) ?? {}).flatMap(([k, v]) =>
        Number.isSafeInteger(Number(v)) ? [[k, Number(v)]] : [],
      ),
    );
    if (!ids.includes(survivorId))
      return mergePage(request, reply, ids, { values, failure: request.t('merge.chooseSurvivor') }, 422);
    try {
      const merged = await app.services.actorMerges.merge(request.principal, {
        survivorId,
        mergedIds: ids.filter((i) => i !== survivorId),
        choose,
        versions,
      });
      return reply.flash('flash.actorsMerged', { name: merged.name }).redirect(`/actors/${merged.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && (err.statusCode === 400 || err.statusCode === 409))
        return mergePage(
          request,
          reply,
          ids,
          { values, failure: request.t(err.code === 'STALE_VERSION' ? 'error.staleVersion' : err.message) },
          err.statusCode === 409 ? 409 : 422,
        );
      throw err;
    }
  });
};
