import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, lastId, readReferences } from '../../helper.ts';

// One app for the file: the audit page's test acts as an admin of its own and reads the trail by that
// user, and each test reads only the records from after it began.
const h = await buildTestApp(t);

t.test('an actor’s history tab and the audit page', async (t) => {
  const admin = await h.as('admin');
  const trailBefore = await lastId(h.database, 'audit_log');
  const actor = (
    await admin.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Café Parasollen' }) })
  ).json();
  const changed = await admin.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: { version: 1, phone: '33 12 34 56', status: 'inactive' },
  });
  t.equal(changed.statusCode, 200);

  const history = await admin.inject({ method: 'GET', url: `/actors/${actor.id}/history` });
  t.equal(history.statusCode, 200);
  t.match(history.body, /<h2>Historik<\/h2>/);
  t.match(history.body, /Oprettet/);
  t.match(history.body, /Ændret/);
  t.match(
    readReferences(history.body),
    /<strong>Telefon:<\/strong> <del>–<\/del> → <ins>33 12 34 56<\/ins>/,
    'what changed, before and after',
  );
  t.match(readReferences(history.body), /<strong>Status:<\/strong> <del>active<\/del> → <ins>inactive<\/ins>/);
  t.match(history.body, /Test admin 101/, 'who made the change');
  t.match(history.body, /aria-current="page">Historik/);

  const page = await admin.inject({ method: 'GET', url: '/audit' });
  t.equal(page.statusCode, 200, 'admin reads the audit trail');
  t.match(page.body, /<h1>Revisionsspor<\/h1>/);
  t.match(page.body, /Logget ind/, 'sign-ins are in the trail');
  const filtered = await admin.inject({
    method: 'GET',
    url: `/audit?entity=actor&action=update&userId=${admin.user.id}`,
    headers: { 'hx-request': 'true', 'hx-target': 'audit-results' },
  });
  t.notMatch(filtered.body, /<html/, 'an htmx partial');
  t.match(filtered.body, /1 registrering\b/);
  const today = new Date().toISOString().slice(0, 10);
  const dated = await admin.inject({
    method: 'GET',
    url: `/audit?from=${today}&to=${today}&entity=actor&userId=${admin.user.id}`,
  });
  t.match(dated.body, /2 registreringer/);
  const none = await admin.inject({ method: 'GET', url: '/audit?from=2001-01-01&to=2001-01-02' });
  t.match(none.body, /0 registreringer/);

  const finance = await h.as('finance');
  t.equal((await finance.inject({ method: 'GET', url: '/audit' })).statusCode, 200, 'finance reads it too');
  const coordinator = await h.as('coordinator');
  t.equal((await coordinator.inject({ method: 'GET', url: '/audit' })).statusCode, 403, 'a coordinator does not');
  const viewer = await h.as('viewer');
  const viewerHistory = await viewer.inject({ method: 'GET', url: `/actors/${actor.id}/history` });
  t.equal(viewerHistory.statusCode, 200, 'every signed-in user reads a record’s history');
  const denied = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where entity = 'access' and action = 'denied' and id > ${trailBefore}`,
  );
  t.equal(denied[0]?.n, 1, 'the denied access is recorded');
});

t.test('GDPR: a contact person is erased by delete or anonymisation', async (t) => {
  const trailBefore = await lastId(h.database, 'audit_log');
  const actor = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({
        contacts: [
          { name: 'Karen Jensen', email: 'karen@example.dk', phone: '11223344' },
          { name: 'Per Olsen', email: 'per@example.dk' },
        ],
      }),
    })
  ).json();
  const [karen, per] = actor.contacts;

  const anonymised = await h.postForm(`/actors/${actor.id}/contacts/${karen.id}/erase`, {
    mode: 'anonymise',
    confirm: 'yes',
  });
  t.equal(anonymised.statusCode, 303);
  const erased = await h.inject({
    method: 'POST',
    url: `/api/v1/actors/${actor.id}/contacts/${per.id}/erase`,
    payload: { mode: 'delete' },
  });
  t.equal(erased.statusCode, 204);

  const after = (await h.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` })).json();
  t.same(
    after.contacts.map((c: { id: number; name: string; email: string | null }) => [c.id, c.name, c.email]),
    [[karen.id, 'Anonymiseret kontaktperson', null]],
  );
  const trail = await h.database.rows<{ body: string }>(
    sql`select (before::text || ' ' || after::text) as body from audit_log`,
  );
  t.notMatch(
    JSON.stringify(trail),
    /Karen|karen@|Per Olsen|per@example|11223344/,
    'no personal data in the audit trail',
  );
  const actions = await h.database.rows<{ action: string; entity_id: string }>(
    sql`select action, entity_id from audit_log
        where entity = 'actor_contact' and action in ('erase', 'anonymise') and id > ${trailBefore} order by id`,
  );
  t.same(actions, [
    { action: 'anonymise', entity_id: String(karen.id) },
    { action: 'erase', entity_id: String(per.id) },
  ]);

  const again = await h.inject({
    method: 'POST',
    url: `/api/v1/actors/${actor.id}/contacts/${per.id}/erase`,
    payload: { mode: 'delete' },
  });
  t.equal(again.statusCode, 404);
  const aarhus = await h.as('coordinator', 751);
  const foreign = await aarhus.inject({
    method: 'POST',
    url: `/api/v1/actors/${actor.id}/contacts/${karen.id}/erase`,
    payload: { mode: 'delete' },
  });
  t.equal(foreign.statusCode, 403, 'another municipality cannot erase');

  const hidden = await aarhus.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` });
  t.same(hidden.json().contacts, [], 'a municipality the actor does not work in sees no contacts');
  t.equal(hidden.json().contactsVisible, false);
  const page = await aarhus.inject({ method: 'GET', url: `/actors/${actor.id}` });
  t.match(page.body, /vises kun for de kommuner, aktøren arbejder i/);
  t.notMatch(page.body, /Anonymiseret kontaktperson/);
});
