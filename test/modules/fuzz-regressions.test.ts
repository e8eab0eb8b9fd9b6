import t from 'tap';
import { actorInput } from '../factories.ts';
import { buildTestApp } from '../helper.ts';

/** Requests the 2,000-per-route fuzz run found answering 500, and their kin: now 400. */
t.test('numbers beyond what the database holds are bad input, not a failure', async (t) => {
  const h = await buildTestApp(t);
  for (const url of [
    '/api/v1/actors?targetGroupId=2147483648',
    '/api/v1/target-groups?municipalityCode=-1688801171',
    '/api/v1/grants?actorId=99999999999',
    '/api/v1/grants?roundId=2147483648',
  ]) {
    const res = await h.inject({ method: 'GET', url });
    t.equal(res.statusCode, 400, url);
  }
  // A version beyond 32 bits reaches the database as a parameter: refused as bad input too.
  const actor = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: {
        name: 'Stor version',
        orgType: 'association',
        roles: ['advocate'],
        homeMunicipalityCode: 101,
        municipalityCodes: [],
        targetGroupIds: [],
        contacts: [],
        status: 'active',
      },
    })
  ).json();
  const res = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: { version: 99_999_999_999, phone: '12345678' },
  });
  t.ok(res.statusCode >= 400 && res.statusCode < 500, `a huge version: ${res.statusCode}`);
});

/** What the 10,000-per-route run found: a NUL character, which PostgreSQL keeps in no text. */
t.test('a NUL character is searched as a space, and refused as bad input where it would be stored', async (t) => {
  const h = await buildTestApp(t);
  await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: { ...actorInput({ name: 'Natcafé Nord', contacts: [] }) },
  });
  for (const url of ['/api/v1/actors?q=%00', '/api/v1/actors?q=Natcaf%C3%A9%00Nord', '/actors?q=%00']) {
    const res = await h.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
  }
  const found = (await h.inject({ method: 'GET', url: '/api/v1/actors?q=Natcaf%C3%A9%00Nord' })).json();
  t.equal(found.items[0]?.name, 'Natcafé Nord', 'the NUL separates the words');
  const stored = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Nul\u0000forening', contacts: [] }),
  });
  t.equal(stored.statusCode, 400, 'a name with a NUL is bad input, not a failure');
  t.equal(stored.json().code, 'VALIDATION_FAILED');
});
