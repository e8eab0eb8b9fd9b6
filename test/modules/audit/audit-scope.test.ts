import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, loginForm } from '../../helper.ts';

/**
 * The audit trail is read per municipality: admin and finance see the records their own
 * municipality's users made (sign-ins with their addresses included), never another's, through the
 * page and every one of its filters. A failed sign-in keeps no typed e-mail unless it is an account's.
 */

const PASSWORD = 'en lang og hemmelig adgangskode';

const attempt = async (app: FastifyInstance, email: string, password: string, ip: string) =>
  (await loginForm(app))(email, password, ip);

/**
 * One app for the file. The first test counts what København's (101) and Aarhus' (751) trails hold,
 * so the others write only in Frederiksberg's (147) or in no municipality's.
 */
const h = await buildTestApp(t);

const countOf = (body: string) => Number(/([\d.]+) registrering(?:er)?\b/.exec(body)?.[1]?.replaceAll('.', '') ?? -1);

t.test('the audit page shows only the reader’s own municipality, whatever the filters', async (t) => {
  const finance101 = await h.as('finance', 101);
  const admin751 = await h.as('admin', 751);
  const coordinator751 = await h.as('coordinator', 751);

  // In Aarhus (751): an actor, a sign-in and a failed one from known addresses.
  const created = await coordinator751.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Aarhus Natcafé', homeMunicipalityCode: 751 }),
  });
  t.equal(created.statusCode, 201);
  t.equal((await attempt(h.app, coordinator751.user.email, PASSWORD, '203.0.113.9')).statusCode, 303);
  t.equal((await attempt(h.app, coordinator751.user.email, 'forkert kode', '203.0.113.10')).statusCode, 401);

  const own = Number(
    (
      await h.database.rows<{ n: number }>(sql`select count(*)::int as n from audit_log where municipality_code = 101`)
    )[0]?.n,
  );
  for (const [who, client] of [
    ['admin 101', h],
    ['finance 101', finance101],
  ] as const) {
    const page = await client.inject({ method: 'GET', url: '/audit' });
    t.equal(page.statusCode, 200, `${who} reads the audit page`);
    t.equal(countOf(page.body), own, `${who}: as many records as København’s users made`);
    t.notMatch(page.body, /203\.0\.113\./, `${who}: no Aarhus sign-in address`);
    t.notMatch(page.body, /Test coordinator 751|Test admin 751/, `${who}: no Aarhus user`);
    t.notMatch(page.body, /<option value="actor"/, `${who}: the filters offer only what København’s trail holds`);

    const filters = [
      `/audit?userId=${coordinator751.user.id}`,
      `/audit?entity=login&userId=${coordinator751.user.id}`,
      '/audit?entity=actor',
      '/audit?action=login_failed',
      `/audit?entity=actor&action=create&userId=${coordinator751.user.id}&from=2000-01-01&to=2100-01-01`,
    ];
    for (const url of filters) {
      const res = await client.inject({
        method: 'GET',
        url,
        headers: { 'hx-request': 'true', 'hx-target': 'audit-results' },
      });
      t.equal(countOf(res.body), 0, `${who}: ${url} finds nothing of Aarhus’`);
    }
  }

  // Aarhus's admin sees Aarhus's own records, addresses included.
  const aarhus = await admin751.inject({ method: 'GET', url: '/audit?action=login_failed' });
  t.equal(countOf(aarhus.body), 1, 'Aarhus’ admin sees the failed sign-in of an Aarhus user');
  t.match(aarhus.body, /203\.0\.113\.10/, 'with its address');
  const actors = await admin751.inject({ method: 'GET', url: '/audit?entity=actor' });
  t.equal(countOf(actors.body), 1, 'and the actor an Aarhus user made');
});

t.test('a failed sign-in keeps no typed e-mail unless it is an account’s', async (t) => {
  const bo = await h.as('coordinator', 147);
  const typed = 'Anne.Skrivefejl@Aarhus.dk';
  for (let i = 1; i <= 6; i++) {
    const res = await attempt(h.app, typed, `forkert kode ${i}`, '198.51.100.7');
    t.equal(res.statusCode, i <= 5 ? 401 : 429, `attempt ${i} with an unknown e-mail: ${i <= 5 ? 401 : 429}`);
  }
  for (let i = 1; i <= 6; i++) await attempt(h.app, bo.user.email, `forkert kode ${i}`, '198.51.100.8');

  const stored = await h.database.rows<{ row: string }>(sql`
    select row_to_json(a)::text as row from audit_log a
    union all select row_to_json(f)::text from login_failures f`);
  t.ok(stored.length > 0);
  t.notOk(
    stored.some((r) => /skrivefejl/i.test(r.row)),
    'the unknown e-mail is neither in the audit trail nor in the sign-in counter',
  );
  const unknown = await h.database.rows<{ action: string; municipality_code: number | null; entity_id: string }>(sql`
    select action, municipality_code, entity_id from audit_log where after->>'ip' = '198.51.100.7' order by id`);
  t.same(
    unknown.map((r) => r.action),
    ['login_failed', 'login_failed', 'login_failed', 'login_failed', 'login_failed', 'rate_limited'],
    'the attempts are in the trail all the same',
  );
  t.ok(
    unknown.every((r) => r.municipality_code === null),
    'in no municipality, so no municipality’s audit page shows them',
  );
  const known = await h.database.rows<{ action: string; municipality_code: number | null; entity_id: string }>(sql`
    select action, municipality_code, entity_id from audit_log where after->>'ip' = '198.51.100.8' order by id`);
  t.same(
    known.map((r) => [r.action, r.entity_id, r.municipality_code]),
    [
      ...Array.from({ length: 5 }, () => ['login_failed', String(bo.user.id), 147]),
      ['rate_limited', String(bo.user.id), 147],
    ],
    'an account’s failed and limited sign-ins are kept by its id, in its municipality',
  );
});

t.test('an actor’s history shows its contacts’ entries only to those who see the contacts', async (t) => {
  const admin147 = await h.as('admin', 147);
  const actor = (
    await admin147.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({
        name: 'Café Kontakten',
        homeMunicipalityCode: 147,
        municipalityCodes: [147],
        contacts: [{ name: 'Karen Jensen', email: 'karen@example.dk' }],
      }),
    })
  ).json() as { id: number; version: number };
  t.equal(
    (
      await admin147.inject({
        method: 'PATCH',
        url: `/api/v1/actors/${actor.id}`,
        payload: { version: actor.version, phone: '33 12 34 56' },
      })
    ).statusCode,
    200,
  );
  const own = await admin147.inject({ method: 'GET', url: `/actors/${actor.id}/history` });
  t.match(own.body, /Kontaktperson/, 'Frederiksberg, where the actor works, sees the contact’s entries');

  const aarhus = await h.as('viewer', 751);
  t.same(
    (await aarhus.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` })).json().contacts,
    [],
    'Aarhus does not see the contacts',
  );
  const foreign = await aarhus.inject({ method: 'GET', url: `/actors/${actor.id}/history` });
  t.equal(foreign.statusCode, 200);
  t.match(foreign.body, /33 12 34 56/, 'Aarhus reads the actor’s own history');
  t.notMatch(foreign.body, /Kontaktperson/, 'but not its contacts’ entries, nor their ids in the actor’s changes');
});
