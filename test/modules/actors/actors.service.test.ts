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
