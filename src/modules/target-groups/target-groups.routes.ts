import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formValues } from '../../lib/forms.ts';
import { mayWriteArea } from '../../lib/policy.ts';
import { localTargetGroupInput } from './target-groups.schemas.ts';

export const targetGroupsRoutes: FastifyPluginAsync = async (app) => {
  const { targetGroups, municipalities } = app.services;

  const page = async (
    request: FastifyRequest,
    values: Record<string, unknown>,
    fieldErrors?: Record<string, string[]>,
  ) => ({
    title: request.t('targetGroups.title'),
    tree: await targetGroups.tree(),
    municipalities: await municipalities.all(),
    values,
    fieldErrors,
    canAdd: mayWriteArea(request.principal, 'targetGroups'),
  });

  app.get('/target-groups', async (request, reply) => reply.page('target-groups/index', await page(request, {})));

  app.post('/target-groups', async (request, reply) => {
    const values = formValues(request.body);
    const t = (errors: Record<string, string[]>) => translateFieldErrors(request.locale, errors);
    const parsed = localTargetGroupInput.safeParse(coerceForm(localTargetGroupInput, values));
    if (!parsed.success) {
      return reply.page('target-groups/index', await page(request, values, t(fieldErrorsFrom(parsed.error))), {
        status: 422,
      });
    }
    try {
      const group = await targetGroups.addLocal(request.principal, parsed.data);
      reply.flash('flash.targetGroupCreated', { name: group.nameDa });
      return reply.redirect(`/target-groups#group-${group.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.fieldErrors) {
        return reply.page('target-groups/index', await page(request, values, t(err.fieldErrors)), {
          status: 422,
        });
      }
      throw err;
    }
  });
};
