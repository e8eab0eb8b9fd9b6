import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formValues, idFrom } from '../../lib/forms.ts';
import { rowVersionParam } from '../../lib/ids.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import { askFirst, confirmed } from '../../plugins/confirm.ts';
import { type Agreement, agreementStatuses } from './agreements.schemas.ts';

const version = rowVersionParam.catch(0);
const statusForm = z.object({ to: z.enum(agreementStatuses), version });
const statusFlash = {
  draft: 'flash.agreementDraft',
  active: 'flash.agreementActive',
  ended: 'flash.agreementEnded',
} as const satisfies Record<(typeof agreementStatuses)[number], string>;
const reopenForm = z.object({ version, openItems: z.enum(['keep', 'close']).catch('keep') });

/**
 * An agreement's status steps: activating a draft, ending it (asked first), and reopening an ended
 * one (asked first, with the choice of what happens to its open action items).
 */
export const agreementStatusRoutes: FastifyPluginAsync = async (app) => {
  const { agreements } = app.services;

  /** The agreement, when the user may change it; 403 before anything is asked or shown. */
  async function writable(request: FastifyRequest, id: number): Promise<Agreement> {
    const agreement = await agreements.get(id);
    assertMayWrite(request.principal, 'agreements', agreement.municipalityCode);
    return agreement;
  }

  app.post('/agreements/:id/status', async (request, reply) => {
    const id = idFrom(request.params);
    const { to, version } = statusForm.parse(formValues(request.body));
    if (to === 'ended' && !confirmed(request)) {
      const agreement = await writable(request, id);
      if (agreement.status !== 'ended') {
        const open = await agreements.openActionItemCount(id);
        return askFirst(request, reply, {
          question: request.t('agreement.end.question', { title: agreement.title }),
          consequences: [
            request.t('agreement.end.status'),
            ...(open ? [request.t('agreement.end.items', { n: open })] : []),
            request.t('agreement.end.reopen'),
          ],
          yes: request.t('agreement.end.yes'),
          back: `/agreements/${id}`,
          fields: { to, version },
        });
      }
    }
    const changed = await agreements.update(request.principal, id, { status: to, version });
    return reply.flash(statusFlash[to], { title: changed.title }).redirect(`/agreements/${id}`, 303);
  });

  app.post('/agreements/:id/reopen', async (request, reply) => {
    const id = idFrom(request.params);
    const input = reopenForm.parse(formValues(request.body));
    if (!confirmed(request)) {
      const agreement = await writable(request, id);
      if (agreement.status === 'ended') {
        const open = await agreements.openActionItemCount(id);
        return askFirst(request, reply, {
          question: request.t('agreement.reopen.question', { title: agreement.title }),
          consequences: [
            request.t('agreement.reopen.status'),
            open ? request.t('agreement.reopen.items', { n: open }) : request.t('agreement.reopen.noItems'),
          ],
          yes: request.t('agreement.reopen.yes'),
          back: `/agreements/${id}`,
          fields: { version: input.version },
          choice: open
            ? {
                name: 'openItems',
                legend: request.t('agreement.reopen.itemsLegend'),
                options: [
                  {
                    value: 'keep',
                    label: request.t('agreement.reopen.keep'),
                    hint: request.t('agreement.reopen.keepHint'),
                  },
                  {
                    value: 'close',
                    label: request.t('agreement.reopen.close'),
                    hint: request.t('agreement.reopen.closeHint'),
                  },
                ],
              }
            : undefined,
        });
      }
    }
    const reopened = await agreements.reopen(request.principal, id, input);
    return reply.flash('flash.agreementReopened', { title: reopened.title }).redirect(`/agreements/${id}`, 303);
  });
};
