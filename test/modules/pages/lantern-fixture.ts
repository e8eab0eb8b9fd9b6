import type { Test } from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, writesHeard } from '../../helper.ts';

/** An active agreement with the actor, and a meeting with one action item for the client's user, due in the past. */
export async function agreementWithItem(client: Client, actorId: number, title: string, item: string) {
  const agreement = await client.inject({
    method: 'POST',
    url: '/api/v1/agreements',
    payload: { kind: 'formal', actorIds: [actorId], status: 'active', title, startsOn: '2026-01-01' },
  });
  if (agreement.statusCode !== 201) throw new Error(agreement.body);
  const meeting = await client.inject({
    method: 'POST',
    url: `/api/v1/agreements/${agreement.json().id}/meetings`,
    payload: {
      heldOn: '2026-02-01',
      actionItems: [{ text: item, ownerUserId: client.user.id, dueOn: '2026-02-15' }],
    },
  });
  if (meeting.statusCode !== 201) throw new Error(meeting.body);
}

/**
 * The pages' fixture: in municipality 101 an actor, "Foreningen Lanternen", a round
 * "Lanternepuljen" with its approved grant "Natåbent", and an active agreement "Lanterneaftalen"
 * with a meeting and an overdue action item for the coordinator. The app's settings as given. Every
 * write of the set-up has been heard when it returns, so what a test keeps next stays kept.
 */
export async function setup(t: Test, env: NodeJS.ProcessEnv = {}) {
  const h = await buildTestApp(t, { env });
  const coordinator = await h.as('coordinator', 101);
  const actor = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ name: 'Foreningen Lanternen', municipalityCodes: [101] }),
    })
  ).json() as { id: number };
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const round = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Lanternepuljen', budgetOre: 10_000_000 },
    })
  ).json() as { id: number };
  const grant = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId: actor.id, title: 'Natåbent', requestedOre: 100_000 },
    })
  ).json() as { id: number };
  const approved = await h.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groups[0]?.id },
  });
  if (approved.statusCode !== 200) throw new Error(approved.body);
  await agreementWithItem(coordinator, actor.id, 'Lanterneaftalen', 'Ring til lanternen');
  await writesHeard(h.database);
  return { h, coordinator, actor, round, grant };
}
