import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, formValues, idFrom } from '../../lib/forms.ts';
import { mayWrite } from '../../lib/policy.ts';
import { actionItemForm } from './agreements.schemas.ts';

const isHtmx = (request: FastifyRequest) => request.headers['hx-request'] === 'true';

/** A meeting's action items, ticked off one by one on the agreement page. */
export const actionItemsRoutes: FastifyPluginAsync = async (app) => {
  const { agreements } = app.services;

  /** Ticks an action item off, or reopens it: in place with htmx. */
  app.post('/action-items/:id', async (request, reply) => {
    const itemId = idFrom(request.params);
    const parsed = actionItemForm.safeParse(coerceForm(actionItemForm, formValues(request.body)));
    const item = await agreements.getActionItem(itemId);
    let failure: string | undefined;
    let status = 200;
    if (!parsed.success) {
      failure = request.t('error.validation');
      status = 422;
    } else {
      try {
        await agreements.updateActionItem(request.principal, itemId, parsed.data);
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode !== 409) throw err;
        failure = request.t('actionItem.changedMeanwhile');
        status = 409;
      }
    }
    // Without JavaScript the agreement page shows the item as it now is.
    if (!isHtmx(request)) {
      const done = parsed.success && parsed.data.done;
      if (!failure) reply.flash(done ? 'flash.actionItemDone' : 'flash.actionItemReopened');
      return reply.redirect(`/agreements/${item.agreementId}#item-${itemId}`, 303);
    }
    const current = await agreements.getActionItem(itemId);
    const ownerNames = await agreements.userNames(current.ownerUserId ? [current.ownerUserId] : []);
    const agreement = await agreements.get(current.agreementId);
    return reply.page(
      'agreements/_action-item',
      {
        item: current,
        ownerNames,
        canWrite: mayWrite(request.principal, 'agreements', agreement.municipalityCode),
        failure,
        announcement: failure ?? request.t(current.done ? 'actionItem.markedDone' : 'actionItem.reopened'),
      },
      { status },
    );
  });
};
