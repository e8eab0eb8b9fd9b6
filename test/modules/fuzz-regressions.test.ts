import t from 'tap';
import { actorInput } from '../factories.ts';
import { buildTestApp } from '../helper.ts';

/** One app for the file: each test makes its own records. */
const h = await buildTestApp(t);

/** Requests the 2,000-per-route fuzz run found answering 500, and their kin: now 400. */
t.test('numbers beyond what the database holds are bad input, not a failure', async (t) => {
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

/** Also from the 10,000-per-route run: a grid row saved with htmx for a group the grid has no row for. */
t.test('a need-grid row for an unknown target group is refused with the page, not a failure', async (t) => {
  const admin = await h.as('admin', 101);
  const post = (body: string) =>
    h.inject({
      method: 'POST',
      url: '/need-estimates/cell',
      headers: { cookie: admin.cookie, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
      payload: `${body}&_csrf=${admin.csrf}`,
    });
  const invalid = await post('targetGroupId=-2011823874&people=2026');
  t.equal(invalid.statusCode, 422, 'a negative group id');
  t.match(invalid.body, /<html/, 'answered with the whole page, as there is no row to answer with');
  const unknown = await post('municipalityCode=101&year=2026&targetGroupId=99999&people=20');
  t.equal(unknown.statusCode, 422, 'a group that does not exist');
  t.match(unknown.body, /En målgruppe findes ikke, eller hører til en anden kommune\./, 'and says so');
  const row = await post('municipalityCode=101&year=2026&targetGroupId=1&people=-3');
  t.equal(row.statusCode, 422, 'a known group with a bad number');
  t.match(row.body, /^\s*<tr id="need-1"/, 'is still answered with its row');
});
