import { actorInput, validCvr } from '../factories.ts';
import type { Client } from '../helper.ts';

/**
 * Copenhagen in 2026: a need of `people` in "Hjemløshed", and one grant of `ore` awarded to an
 * actor for that group, through the API. Answers the group's and the round's ids.
 */
export async function oneAwardedGrant(h: Client, finance: Client, people: number, ore: number) {
  const listed = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json();
  // Read either way, so a test of something else still runs against a bare-array list.
  const groups = (Array.isArray(listed) ? listed : listed.items) as { id: number; nameDa: string }[];
  const group = groups.find((g) => g.nameDa === 'Hjemløshed')?.id as number;
  const steps = [
    await finance.inject({
      method: 'PUT',
      url: '/api/v1/need-estimates?municipalityCode=101&year=2026',
      payload: [{ targetGroupId: group, people }],
    }),
  ];
  const round = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name: 'Puljen', budgetOre: 10_000_000 },
  });
  const actor = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Herberget Nørrebro', cvr: validCvr(5151), targetGroupIds: [group] }),
  });
  const grant = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId: round.json().id, actorId: actor.json().id, title: 'Nattevagt', requestedOre: ore },
  });
  steps.push(
    round,
    actor,
    grant,
    await finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.json().id}/transitions`,
      payload: { to: 'approved', version: 1, awardedOre: ore, targetGroupId: group },
    }),
  );
  const failed = steps.find((s) => s.statusCode >= 300);
  if (failed) throw new Error(failed.body);
  return { group, roundId: round.json().id as number, grantId: grant.json().id as number };
}
