import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * A municipality's own target groups are its own: a round's prioritised groups, an agreement's
 * groups and a grant's split may name the FFB groups and the municipality's local groups, never
 * another municipality's. (The registry's actors work across municipalities and may carry any.)
 */
t.test("a round, an agreement and a grant's split refuse another municipality's local group", async (t) => {
  const h = await buildTestApp(t);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id as number;
  const local = async (code: number, nameDa: string) => {
    const admin = await h.as('admin', code);
    const res = await admin.inject({
      method: 'POST',
      url: '/api/v1/target-groups',
      payload: { nameDa, parentId: stof, municipalityCode: code },
    });
    t.equal(res.statusCode, 201, `${nameDa} made`);
    return res.json().id as number;
  };
  const own = await local(101, 'Københavnske natteravne');
  const foreign = await local(751, 'Aarhusianske natteravne');

  const finance = await h.as('finance', 101);
  const round = async (targetGroupIds: number[]) =>
    finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2027, name: `Pulje ${targetGroupIds.join('-')}`, budgetOre: 10_000_000, targetGroupIds },
    });
  const refusedRound = await round([stof, foreign]);
  t.equal(refusedRound.statusCode, 400, "a round may not prioritise Aarhus's local group");
  t.match(refusedRound.json().fieldErrors, { targetGroupIds: [String] });
  const okRound = await round([stof, own]);
  t.equal(okRound.statusCode, 201, 'the FFB group and its own local group');

  const coordinator = await h.as('coordinator', 101);
  const actor = (
    await coordinator.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Natcaféen' }) })
  ).json();
  const agreement = (targetGroupIds: number[]) =>
    coordinator.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: {
        title: `Samarbejde ${targetGroupIds.join('-')}`,
        kind: 'informal',
        actorIds: [actor.id],
        startsOn: '2027-01-01',
        endsOn: '2027-12-31',
        meetingIntervalMonths: 3,
        responsibilities: [],
        targetGroupIds,
      },
    });
  t.equal((await agreement([foreign])).statusCode, 400, "an agreement may not name Aarhus's local group");
  t.equal((await agreement([own])).statusCode, 201, 'its own local group');

  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: okRound.json().id, actorId: actor.id, title: 'Natcafé', requestedOre: 1_000_000 },
    })
  ).json();
  const award = (targetGroupId: number) =>
    finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.id}/transitions`,
      payload: {
        to: 'approved',
        version: grant.version,
        awardedOre: 1_000_000,
        allocations: [{ targetGroupId, amountOre: 1_000_000 }],
      },
    });
  t.equal((await award(foreign)).statusCode, 400, "a grant's split may not go to Aarhus's local group");
  t.equal((await award(own)).statusCode, 200, 'its own local group');
});
