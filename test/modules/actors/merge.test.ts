import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

t.test('merging duplicate actors moves everything to the one that remains, in one audited step', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const coordinator = await h.as('coordinator', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const make = async (body: Record<string, unknown>) => {
    const res = await h.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput(body) });
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.json() as { id: number; version: number };
  };
  const keep = await make({
    name: 'Gadens Stemme',
    targetGroupIds: [groups[1]?.id ?? 0],
    municipalityCodes: [],
    website: 'https://gadensstemme.dk',
  });
  const copy = await make({
    name: 'Foreningen Gadens Stemme',
    cvr: validCvr(77),
    targetGroupIds: [groups[2]?.id ?? 0],
    municipalityCodes: [147],
    contacts: [{ name: 'Ole Olsen', role: 'Kasserer' }],
  });
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'P', budgetOre: 1e7 },
    })
  ).json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId: copy.id, title: 'Gadeavis', requestedOre: 50_000 },
    })
  ).json();
  const agreement = (
    await coordinator.inject({
      method: 'POST',
      url: '/api/v1/agreements',
      payload: { title: 'Aftale', kind: 'informal', actorIds: [keep.id, copy.id], startsOn: '2026-01-01' },
    })
  ).json();

  const preview = await coordinator.inject({ method: 'GET', url: `/actors/merge?ids=${keep.id}&ids=${copy.id}` });
  t.equal(preview.statusCode, 200);
  t.match(preview.body, /1 bevilling\b/);
  t.match(preview.body, /name="choose\[name\]"/, 'the differing names are offered');
  t.match(preview.body, /name="choose\[cvr\]"/);

  const viewer = await h.as('viewer', 101);
  const refused = await viewer.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: keep.id, mergedIds: [copy.id] },
  });
  t.equal(refused.statusCode, 403);

  const res = await coordinator.postForm('/actors/merge', {
    ids: [String(keep.id), String(copy.id)],
    survivorId: String(keep.id),
    'choose[name]': String(keep.id),
    'choose[cvr]': String(copy.id),
    [`versions[${keep.id}]`]: '1',
    [`versions[${copy.id}]`]: '1',
  });
  t.equal(res.statusCode, 303, res.body.slice(0, 300));
  t.equal(res.headers.location, `/actors/${keep.id}`);

  const merged = (await coordinator.inject({ method: 'GET', url: `/api/v1/actors/${keep.id}` })).json();
  t.match(merged, { name: 'Gadens Stemme', cvr: validCvr(77), website: 'https://gadensstemme.dk' });
  t.same(merged.targetGroupIds.sort(), [groups[1]?.id, groups[2]?.id].sort(), 'target groups united');
  t.same(merged.municipalityCodes, [147], 'municipalities united');
  t.equal(merged.contacts.length, 2, 'contacts moved');
  t.equal(
    (await finance.inject({ method: 'GET', url: `/api/v1/grants/${grant.id}` })).json().actorId,
    keep.id,
    'the grant moved',
  );
  t.same(
    (await coordinator.inject({ method: 'GET', url: `/api/v1/agreements/${agreement.id}` })).json().actorIds,
    [keep.id],
    'the agreement names the survivor once',
  );
  const old = await coordinator.inject({ method: 'GET', url: `/actors/${copy.id}` });
  t.equal(old.statusCode, 308, 'the old page leads on');
  t.equal(old.headers.location, `/actors/${keep.id}`);
  const oldApi = await coordinator.inject({ method: 'GET', url: `/api/v1/actors/${copy.id}` });
  t.equal(oldApi.statusCode, 308);
  t.equal(oldApi.headers.location, `/api/v1/actors/${keep.id}`);
  const audit = await h.database.rows<{ entity_id: string; action: string }>(
    sql`select entity_id, action from audit_log where action in ('merge', 'merged_into') order by id`,
  );
  t.same(audit, [
    { entity_id: String(keep.id), action: 'merge' },
    { entity_id: String(copy.id), action: 'merged_into' },
  ]);
  const again = await coordinator.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: keep.id, mergedIds: [copy.id] },
  });
  t.equal(again.statusCode, 409, 'an actor merged already cannot be merged again');

  // Another municipality's actor needs an admin; a refused merge changes nothing.
  const aarhus = await h.as('admin', 751);
  const theirs = (
    await aarhus.inject({
      method: 'POST',
      url: '/api/v1/actors?allowSimilar=true',
      payload: actorInput({ name: 'Gadens Stemme Aarhus', homeMunicipalityCode: 751, municipalityCodes: [] }),
    })
  ).json();
  const cross = await coordinator.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: keep.id, mergedIds: [theirs.id] },
  });
  t.equal(cross.statusCode, 403, 'a coordinator may not merge another municipality’s actor');
  t.equal((await h.inject({ method: 'GET', url: `/api/v1/actors/${theirs.id}` })).statusCode, 200, 'it is untouched');
  const byAdmin = await h.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: keep.id, mergedIds: [theirs.id] },
  });
  t.equal(byAdmin.statusCode, 200, 'an admin may');
});
