import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

t.test('an approval of 0 kr. is refused with a 400 that says to reject instead, never a 500', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const targetGroupId = groups.find((g) => g.nameDa === 'Hjemløshed')?.id as number;
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Varmestuen Enghave' }) })
  ).json();
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: '§ 18-puljen 2026', budgetOre: 10_000_000 },
    })
  ).json();
  const apply = async (requestedOre: number) => {
    const res = await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId: actor.id, title: 'Åben varmestue', requestedOre },
    });
    t.equal(res.statusCode, 201, res.body);
    return res.json().id as number;
  };
  const approve = (id: number, body: Record<string, unknown>) =>
    finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${id}/transitions`,
      payload: { to: 'approved', version: 1, ...body },
    });

  const id = await apply(500_000);
  for (const [what, body] of [
    ['0 kr. on one target group', { awardedOre: 0, targetGroupId }],
    ['0 kr. with no split', { awardedOre: 0 }],
    ['0 kr. with an empty split', { awardedOre: 0, allocations: [] }],
  ] as const) {
    const res = await approve(id, body);
    t.equal(res.statusCode, 400, `${what}: ${res.body}`);
    t.match(res.json(), { code: 'VALIDATION_FAILED', fieldErrors: { awardedOre: [/over 0 kr\..*afslag/] } }, what);
  }

  // Nothing applied for, nothing given: the award defaults to the 0 kr. applied for, and is refused too.
  const nothing = await apply(0);
  for (const body of [{ targetGroupId }, {}]) {
    const res = await approve(nothing, body);
    t.equal(res.statusCode, 400, res.body);
    t.match(res.json(), { code: 'VALIDATION_FAILED', fieldErrors: { awardedOre: [/over 0 kr\./] } });
  }

  const form = await finance.postForm(`/grants/${id}/award`, {
    version: '1',
    awarded: '0',
    wholeTo: String(targetGroupId),
  });
  t.equal(form.statusCode, 422, 'the award form says it too');
  // The form's own amount field refuses it, next to the field.
  t.match(form.body, /id="field-awarded-error"[\s\S]*?Beløbet skal være større end 0 kr\./);

  const grant = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${id}` })).json();
  t.match(grant, { status: 'applied', awardedOre: null, version: 1 }, 'the grant is unchanged');
  const rejected = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${id}/transitions`,
    payload: { to: 'rejected', version: 1 },
  });
  t.equal(rejected.statusCode, 200, 'rejecting is the way to give nothing');
  const oneOre = await approve(nothing, { awardedOre: 1, targetGroupId });
  t.equal(oneOre.statusCode, 200, `the smallest award is 1 øre: ${oneOre.body}`);

  const en = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${await apply(100)}/transitions`,
    headers: { 'accept-language': 'en' },
    payload: { to: 'approved', version: 1, awardedOre: 0, targetGroupId },
  });
  t.equal(en.statusCode, 400);
  t.match(en.json().fieldErrors.awardedOre, [/reject/i], 'in English too');
});
