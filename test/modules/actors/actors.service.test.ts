import t from 'tap';
import type { Principal } from '../../../src/lib/principal.ts';
import { buildTestApp } from '../../helper.ts';

t.test('registerInformalGroup: a name and a contact make an informal group of your municipality', async (t) => {
  const h = await buildTestApp(t);
  const actors = h.app.services.actors;
  const user = await h.as('coordinator', 147);
  const coordinator: Principal = { userId: user.user.id, municipalityCode: 147, role: 'coordinator' };
  const viewer: Principal = { userId: null, municipalityCode: 147, role: 'viewer' };
  const input = { name: 'Strikkecaféen i Nordvest', contact: { name: 'Birthe Lund', phone: '40 50 60 70' } };

  await t.rejects(actors.registerInformalGroup(viewer, input), { code: 'FORBIDDEN' });
  const group = await actors.registerInformalGroup(coordinator, input);
  t.match(group, {
    name: 'Strikkecaféen i Nordvest',
    orgType: 'informal_group',
    roles: ['inclusion_arena'],
    cvr: null,
    homeMunicipalityCode: 147,
    municipalityCodes: [147],
    targetGroupIds: [],
    status: 'active',
    contacts: [{ name: 'Birthe Lund', phone: '40 50 60 70' }],
  });
  await t.rejects(
    actors.registerInformalGroup(coordinator, { ...input, name: 'Strikkecaféen i Nordvest.' }),
    { code: 'SIMILAR_NAME' },
    'a name like one registered is refused until allowed',
  );
  const allowed = await actors.registerInformalGroup(
    coordinator,
    { ...input, name: 'Strikkecaféen i Nordvest.' },
    { allowSimilar: true },
  );
  t.not(allowed.id, group.id);
});

t.test('summaries: the actors list() finds, in its order and with its count, as a list shows them', async (t) => {
  const h = await buildTestApp(t);
  const actors = h.app.services.actors;
  const user = await h.as('coordinator', 147);
  const coordinator: Principal = { userId: user.user.id, municipalityCode: 147, role: 'coordinator' };
  for (const name of ['Strikkeklubben i Østbyen', 'Strikkeklubben Vestervang', 'Strikkeklubben ved Nordkysten'])
    await actors.registerInformalGroup(
      coordinator,
      { name, contact: { name: 'Birthe Lund', phone: '40 50 60 70' } },
      { allowSimilar: true },
    );

  const queries = [
    { q: 'Strikkeklubben', limit: 25, offset: 0 },
    { q: 'Strikkeklubben', municipalityCode: 147, sort: '-name' as const, limit: 2, offset: 1 },
    { status: 'all' as const, limit: 5, offset: 0 },
  ];
  for (const query of queries) {
    const [whole, summaries] = await Promise.all([actors.list(query), actors.summaries(query)]);
    t.ok(whole.total > 0, `${JSON.stringify(query)}: finds some`);
    t.equal(summaries.total, whole.total, `${JSON.stringify(query)}: the same count`);
    t.strictSame(
      summaries.items,
      whole.items.map((a) => ({
        id: a.id,
        name: a.name,
        cvr: a.cvr,
        orgType: a.orgType,
        roles: a.roles,
        homeMunicipalityCode: a.homeMunicipalityCode,
        status: a.status,
        updatedAt: a.updatedAt,
      })),
      `${JSON.stringify(query)}: the same actors in the same order, without what a list does not show`,
    );
  }
});
