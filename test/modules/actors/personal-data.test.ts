import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, lastId, type TestApp } from '../../helper.ts';

/** Contact persons' personal data (issue 16): merges, 409 answers, the audit trail and erasure. */

const PERSON = /Mette Hansen|mette@example\.dk|12 34 56 78/;

// One app for the file: each test makes its own actors (similar names allowed) and users.
const h = await buildTestApp(t);

async function makeActor(h: TestApp, body: Record<string, unknown>, client: Client = h) {
  const res = await client.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput(body),
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json() as { id: number; version: number; contacts: { id: number; version: number }[] };
}

t.test('a merge checks permission before versions, and a 409 shows no contacts a GET would not', async (t) => {
  const keep = await makeActor(h, { name: 'Gadens Stemme' });
  const copy = await makeActor(h, { name: 'Gadens Stemme (dublet)', municipalityCodes: [] });
  const viewer751 = await h.as('viewer', 751);
  const stale = { survivorId: keep.id, mergedIds: [copy.id], versions: { [keep.id]: 99, [copy.id]: 99 } };

  const api = await viewer751.inject({ method: 'POST', url: '/api/v1/actors/merge', payload: stale });
  t.equal(api.statusCode, 403, 'a viewer of another municipality is refused, stale versions or not');
  t.notMatch(api.body, PERSON, 'and reads no contact');
  const form = await viewer751.postForm('/actors/merge', {
    ids: [String(keep.id), String(copy.id)],
    survivorId: String(keep.id),
    [`versions[${keep.id}]`]: '99',
    [`versions[${copy.id}]`]: '99',
  });
  t.equal(form.statusCode, 403, 'the form too');
  t.notMatch(form.body, PERSON);

  // An admin of 101 may merge a 751 actor, but its contacts are not 101's to see.
  const aarhus = await h.as('admin', 751);
  const theirs = await makeActor(
    h,
    {
      name: 'Gadens Stemme Aarhus',
      homeMunicipalityCode: 751,
      municipalityCodes: [],
      contacts: [{ name: 'Søren Aarhusianer', email: 'soren@example.dk' }],
    },
    aarhus,
  );
  const seen = (await h.inject({ method: 'GET', url: `/api/v1/actors/${theirs.id}` })).json();
  t.same(seen.contacts, [], 'a GET shows 101 none of its contacts');
  const conflict = await h.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: keep.id, mergedIds: [theirs.id], versions: { [theirs.id]: 99 } },
  });
  t.equal(conflict.statusCode, 409);
  t.equal(conflict.json().code, 'STALE_VERSION');
  t.equal(conflict.json().current.id, theirs.id, 'the current values are there');
  t.same(conflict.json().current.contacts, [], 'but not the contacts a GET would not show');
  t.notMatch(conflict.body, /Søren|soren@/);
});

t.test('a 409 on an actor update or archive shows the contacts only as a GET would', async (t) => {
  const actor = await makeActor(h, { name: 'Natcaféen' });
  const update = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: { version: 99, name: 'X' },
  });
  t.equal(update.statusCode, 409);
  t.equal(update.json().current.contactsVisible, true, 'the writer’s own municipality sees them');
  t.equal(update.json().current.contacts[0].name, 'Mette Hansen');
  const other = await h.as('coordinator', 751);
  const refused = await other.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: { version: 99, name: 'X' },
  });
  t.equal(refused.statusCode, 403, 'another municipality is refused before its version is looked at');
  t.notMatch(refused.body, PERSON);
  const archive = await other.inject({
    method: 'POST',
    url: `/api/v1/actors/${actor.id}/archive`,
    payload: { version: 99 },
  });
  t.equal(archive.statusCode, 403);
  t.notMatch(archive.body, PERSON);
});

t.test('a merge audits contacts by id only; the history shows no personal data', async (t) => {
  const keep = await makeActor(h, { name: 'Varmestuen' });
  const copy = await makeActor(h, {
    name: 'Varmestuen (dublet)',
    municipalityCodes: [],
    contacts: [{ name: 'Ole Olsen', email: 'ole@example.dk', phone: '+45 87 65 43 21' }],
  });
  // The trail's records from here on are this merge's.
  const trailBefore = await lastId(h.database, 'audit_log');
  const res = await h.inject({
    method: 'POST',
    url: '/api/v1/actors/merge',
    payload: { survivorId: keep.id, mergedIds: [copy.id] },
  });
  t.equal(res.statusCode, 200);
  const contactIds = (res.json().contacts as { id: number }[]).map((c) => c.id);
  t.equal(contactIds.length, 2);
  const rows = await h.database.rows<{ action: string; body: string; after: { contactIds?: number[] } | null }>(
    sql`select action, coalesce(before::text, '') || ' ' || coalesce(after::text, '') as body, after
        from audit_log where action in ('merge', 'merged_into') and id > ${trailBefore} order by id`,
  );
  t.same(
    rows.map((r) => r.action),
    ['merge', 'merged_into'],
  );
  t.notMatch(JSON.stringify(rows), /Mette|mette@|Ole Olsen|ole@|12 34 56 78|87 65 43 21/, 'no contact personal data');
  t.same(rows[0]?.after?.contactIds, contactIds, 'the contacts by id');
  const stranger = await h.as('viewer', 751);
  const history = await stranger.inject({ method: 'GET', url: `/actors/${keep.id}/history` });
  t.equal(history.statusCode, 200);
  t.notMatch(history.body, /Mette|mette@|Ole Olsen|ole@/, 'the history page shows none to anyone');
});

/** The statements of the migration that scrubs merge records, as drizzle runs them. */
function scrubStatements(): string[] {
  const file = new URL('../../../drizzle/0012_scrub_merge_contacts.sql', import.meta.url);
  return readFileSync(file, 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter(Boolean);
}

t.test('migration 0012 removes contact data that old merges wrote into the audit trail', async (t) => {
  const ran = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from audit_log where entity = 'audit_log' and action = 'scrub'`,
  );
  t.equal(ran[0]?.n, 2, 'the migration recorded that it ran, once for merges and once for sign-ins');

  // Records as the merge wrote them before: the survivor whole, contacts with their personal data.
  const oldContacts = [
    { id: 41, name: 'Mette Hansen', role: 'Formand', email: 'mette@example.dk', phone: '+45 12 34 56 78', version: 1 },
    { id: 42, name: 'Ole Olsen', role: null, email: 'ole@example.dk', phone: null, version: 3 },
  ];
  const merge = await h.database.rows<{
    id: number;
  }>(sql`insert into audit_log (entity, entity_id, action, before, after)
    values ('actor', '7', 'merge', ${JSON.stringify({ survivor: 7, merged: [{ id: 8, name: 'Dublet', cvr: null }] })}::jsonb,
      ${JSON.stringify({ id: 7, name: 'Gadens Stemme', version: 2, contacts: oldContacts })}::jsonb)
    returning id`);
  const mergedInto = await h.database.rows<{
    id: number;
  }>(sql`insert into audit_log (entity, entity_id, action, before, after)
    values ('actor', '8', 'merged_into', ${JSON.stringify({ id: 8, name: 'Dublet', contacts: [oldContacts[1]] })}::jsonb,
      ${JSON.stringify({ mergedIntoId: 7 })}::jsonb)
    returning id`);
  const untouched = await h.database.rows<{ id: number }>(sql`insert into audit_log (entity, entity_id, action, after)
    values ('actor', '9', 'update', ${JSON.stringify({ id: 9, name: 'Anden aktør', contactIds: [5] })}::jsonb)
    returning id`);
  const ids = [merge[0]?.id, mergedInto[0]?.id].map(Number);
  // Failed and refused sign-ins as they were written before: the e-mail as typed, even if no one's.
  const logins = await h.database.rows<{ id: number }>(sql`insert into audit_log (entity, entity_id, action, after)
    values ('login', 'typo@eksempel.dk', 'login_failed', '{"ip":"10.0.0.1","reason":"unknown_email"}'::jsonb),
      ('login', 'anne@kk.dk', 'rate_limited', '{"ip":"10.0.0.1"}'::jsonb),
      ('login', '17', 'login_failed', '{"ip":"10.0.0.1","reason":"wrong_password"}'::jsonb)
    returning id`);
  const loginIds = logins.map((r) => Number(r.id));

  await h.database.db.transaction(async (tx) => {
    for (const statement of scrubStatements()) await tx.execute(sql.raw(statement));
  });

  const rows = await h.database.rows<{ id: number; before: unknown; after: unknown }>(
    sql`select id, before, after from audit_log where id in ${[...ids, Number(untouched[0]?.id)]} order by id`,
  );
  t.notMatch(JSON.stringify(rows), /Mette|mette@|Ole Olsen|ole@|12 34 56 78|Formand/, 'the personal data is gone');
  t.same(rows[0], {
    id: ids[0],
    before: { survivor: 7, merged: [{ id: 8, name: 'Dublet', cvr: null }] },
    after: { id: 7, name: 'Gadens Stemme', version: 2, contactIds: [41, 42] },
  });
  t.same(rows[1], { id: ids[1], before: { id: 8, name: 'Dublet', contactIds: [42] }, after: { mergedIntoId: 7 } });
  t.same(rows[2]?.after, { id: 9, name: 'Anden aktør', contactIds: [5] }, 'other records are left as they were');

  const record = await h.database.rows<{ after: { auditIds: number[] } }>(
    sql`select after from audit_log where entity = 'audit_log' and action = 'scrub'
      and entity_id = '0012_scrub_merge_contacts' order by id desc limit 1`,
  );
  t.same(record[0]?.after.auditIds, ids, 'the scrub is itself in the trail, with the records it changed');

  const signIns = await h.database.rows<{ entity_id: string }>(
    sql`select entity_id from audit_log where id in ${loginIds} order by id`,
  );
  t.same(
    signIns.map((r) => r.entity_id),
    ['unknown', 'unknown', '17'],
    'sign-ins name no typed e-mail any more; an account is kept by its id',
  );
  const loginRecord = await h.database.rows<{ after: { auditIds: number[] } }>(
    sql`select after from audit_log where entity = 'audit_log' and action = 'scrub'
      and entity_id = '0012_scrub_login_emails' order by id desc limit 1`,
  );
  t.same(loginRecord[0]?.after.auditIds, loginIds.slice(0, 2), 'and that scrub is recorded too');
  await t.rejects(
    h.database.rows(sql`update audit_log set after = null where id = ${ids[0]}`),
    'the trail is append-only again afterwards',
  );
});

t.test('erasing a contact wins over a stale form', async (t) => {
  const colleague = await h.as('coordinator', 101);
  const actor = await makeActor(h, { name: 'Café Hjertestuen' });
  const contact = actor.contacts[0] as { id: number; version: number };
  // The colleague opens the edit form before the contact is erased.
  const edit = await colleague.inject({ method: 'GET', url: `/actors/${actor.id}/edit` });
  t.match(edit.body, new RegExp(`name="contacts\\[0\\]\\[version\\]" value="${contact.version}"`));
  const staleForm = {
    name: 'Café Hjertestuen',
    orgType: 'association',
    roles: 'advocate',
    homeMunicipalityCode: '101',
    municipalityCodes: ['101', '147'],
    status: 'active',
    version: String(actor.version),
    'contacts[0][id]': String(contact.id),
    'contacts[0][version]': String(contact.version),
    'contacts[0][name]': 'Mette Hansen',
    'contacts[0][email]': 'mette@example.dk',
    'contacts[0][phone]': '+45 12 34 56 78',
  };

  const erased = await h.inject({
    method: 'POST',
    url: `/api/v1/actors/${actor.id}/contacts/${contact.id}/erase`,
    payload: { mode: 'anonymise' },
  });
  t.equal(erased.statusCode, 204);
  const afterErase = (await h.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` })).json();
  t.equal(afterErase.version, actor.version + 1, 'erasing bumps the actor’s version');
  const stored = async () =>
    (
      await h.database.rows<{ name: string; email: string | null; phone: string | null }>(
        sql`select name, email, phone from actor_contacts where id = ${contact.id}`,
      )
    )[0];
  const anonymous = { name: 'Anonymiseret kontaktperson', email: null, phone: null };

  const saved = await colleague.postForm(`/actors/${actor.id}`, staleForm);
  t.equal(saved.statusCode, 409, 'the stale form gets a conflict');
  t.same(await stored(), anonymous, 'and writes nothing back');
  t.match(saved.body, /Anonymiseret kontaktperson/, 'the form shows the contact as it is now');
  t.notMatch(saved.body, /value="Mette Hansen"|mette@example\.dk/, 'not the erased data');

  // Sending the conflict's form again (with the versions it now holds) cannot restore the data.
  const again = await colleague.postForm(`/actors/${actor.id}`, {
    ...staleForm,
    version: String(afterErase.version),
    'contacts[0][version]': /name="contacts\[0\]\[version\]" value="(\d+)"/.exec(saved.body)?.[1] ?? '',
    'contacts[0][name]': /name="contacts\[0\]\[name\]"[^>]*value="([^"]*)"/.exec(saved.body)?.[1] ?? '',
    'contacts[0][email]': '',
    'contacts[0][phone]': '',
  });
  t.equal(again.statusCode, 303, 'the re-rendered form saves');
  t.same(await stored(), anonymous, 'with the contact still anonymous');

  // The API: a contact's own version is checked, and an anonymised contact takes no personal data.
  const current = (await h.inject({ method: 'GET', url: `/api/v1/actors/${actor.id}` })).json();
  const staleContact = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: {
      version: current.version,
      contacts: [{ id: contact.id, version: contact.version, name: 'Mette Hansen', email: 'mette@example.dk' }],
    },
  });
  t.equal(staleContact.statusCode, 409, 'a stale contact version gets 409');
  t.equal(staleContact.json().current.contacts[0].name, 'Anonymiseret kontaktperson');
  const refill = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: {
      version: current.version,
      contacts: [{ id: contact.id, name: 'Mette Hansen', email: 'mette@example.dk' }],
    },
  });
  t.equal(refill.statusCode, 400, 'personal data cannot be written back into an anonymised contact');
  t.match(refill.json().fieldErrors.contacts[0], /anonymiseret/);
  t.same(await stored(), anonymous);

  // Deleting a contact makes an older form stale too.
  const second = (
    await h.inject({
      method: 'PATCH',
      url: `/api/v1/actors/${actor.id}`,
      payload: { version: current.version, contacts: [current.contacts[0], { name: 'Bo Berg' }] },
    })
  ).json();
  const bo = second.contacts.find((c: { name: string }) => c.name === 'Bo Berg');
  const opened = second.version;
  await h.inject({
    method: 'POST',
    url: `/api/v1/actors/${actor.id}/contacts/${bo.id}/erase`,
    payload: { mode: 'delete' },
  });
  const late = await h.inject({
    method: 'PATCH',
    url: `/api/v1/actors/${actor.id}`,
    payload: { version: opened, contacts: [{ id: bo.id, version: bo.version, name: 'Bo Berg' }] },
  });
  t.equal(late.statusCode, 409, 'a form opened before a deletion is stale');
});
