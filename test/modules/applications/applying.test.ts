import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, lastId, readReferences } from '../../helper.ts';
import { startSmtpServer, until } from '../mail/smtp.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, applying: the public form of a round, validated by one schema (CVR modulus 11, bank
 * registration and account numbers, amounts, periods, FFB target groups, municipalities); a draft
 * saved with only an e-mail address and finished through the link mailed to it; the receipt at a
 * real SMTP server with a link that works; a token that is no application's link is 404.
 */
const mailEnv = { MAIL_SENDER: 'on', MAIL_POLL_MS: '50', MAIL_RETRY_BASE_MS: '20', PUBLIC_URL: 'https://samspil.test' };

/**
 * One app for the tests that can share it. Each such test has its own round and sends from its own IP
 * address (the form has a limit per address); it counts only the rows of its round, or the rows
 * written after it began.
 */
const h = await buildTestApp(t);

/** How many rows a table has now: a test compares with it after its action. */
async function countOf(table: 'applications' | 'mail_outbox'): Promise<number> {
  const [row] = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from ${sql.raw(table)}`);
  return row?.n ?? 0;
}

t.test('the form refuses what is not valid, field by field, and saves nothing', async (t) => {
  const roundId = await roundOf(h, 'Pulje til fællesskaber');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page, '203.0.113.1');
  const [applicationsBefore, mailsBefore] = [await countOf('applications'), await countOf('mail_outbox')];

  const form = await v.get(page);
  t.equal(form.statusCode, 200);
  t.match(form.body, /Søg om § 18-midler: Pulje til fællesskaber/);
  t.match(form.body, /name="contactEmail"/);
  t.match(form.body, /Gem kladde/);
  t.match(form.body, /Send ansøgning/);

  const bad = await v.post(
    page,
    associationForm(groupId, {
      cvr: '12345678',
      bankRegNo: '123',
      bankAccountNo: '12345678901',
      applied: '12,345',
      periodFrom: '31.4.2027',
      periodTo: '1.1.2027',
      'targetGroups[1][targetGroupId]': '99999',
      municipalityCodes: ['101', '998'],
    }),
  );
  t.equal(bad.statusCode, 422, 'refused with the form shown again');
  t.match(bad.body, /id="error-summary"/, 'an error summary');
  t.match(bad.body, /CVR-nummeret er ikke gyldigt/, 'CVR modulus 11');
  t.match(bad.body, /Registreringsnummeret skal være 4 cifre/);
  t.match(bad.body, /Kontonummeret skal være op til 10 cifre/);
  t.match(bad.body, /Skriv en gyldig dato/, '31 April is no date');
  t.match(bad.body, /aria-invalid="true"/, 'fields are marked invalid');
  t.match(bad.body, /value="Foreningen Fællesskab"/, 'the values typed are kept');

  const unknownRefs = await v.post(
    page,
    associationForm(groupId, { 'targetGroups[1][targetGroupId]': '99999', municipalityCodes: ['101', '998'] }),
  );
  t.equal(unknownRefs.statusCode, 422);
  t.match(unknownRefs.body, /Målgruppen findes ikke/, 'target groups must exist in the FFB table');
  t.match(unknownRefs.body, /Kommunekoden findes ikke/, 'municipalities must exist');

  const missing = await v.post(page, { contactEmail: 'a@b.dk', intent: 'submit' });
  t.equal(missing.statusCode, 422, 'sending needs it all');
  t.match(missing.body, /Vælg, om I søger som organisation/);
  t.match(missing.body, /Du skal give samtykke/);

  const informalWithoutPerson = await v.post(
    page,
    associationForm(groupId, { applicantKind: 'informal_group', groupName: 'Naboerne', cvr: '' }),
  );
  t.equal(informalWithoutPerson.statusCode, 422, 'an informal group names a responsible person');
  t.match(informalWithoutPerson.body, /field-responsibleName-error/);

  const noEmail = await v.post(page, { projectTitle: 'Kladde', intent: 'draft' });
  t.equal(noEmail.statusCode, 422, 'a draft needs the e-mail address');
  t.match(noEmail.body, /field-contactEmail-error/);

  t.equal(await countOf('applications'), applicationsBefore, 'nothing saved');
  t.equal(await countOf('mail_outbox'), mailsBefore, 'nothing sent');
});

t.test('a closed round takes no application; an unknown round is 404', async (t) => {
  const closed = await roundOf(h, 'Lukket pulje', false);
  const res = await h.app.inject({ method: 'GET', url: `/public/rounds/${closed}/apply` });
  t.equal(res.statusCode, 200);
  t.match(res.body, /Der er lukket for ansøgninger/);
  t.notMatch(res.body, /name="contactEmail"/);
  const open = await roundOf(h, 'Åben pulje');
  const v = await visitor(h.app, `/public/rounds/${open}/apply`, '203.0.113.2');
  const post = await v.post(`/public/rounds/${closed}/apply`, { contactEmail: 'a@b.dk', intent: 'draft' });
  t.equal(post.statusCode, 409);
  t.equal((await h.app.inject({ method: 'GET', url: '/public/rounds/999999/apply' })).statusCode, 404);
  // A round still planned, without a window, is not public: its form is 404 like its page.
  const finance = await h.as('finance', 101);
  const planned = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name: 'Planlagt pulje', budgetOre: 10_000_000 },
  });
  t.equal(planned.statusCode, 201, planned.body);
  const plannedId = planned.json().id as number;
  const hidden = await h.app.inject({ method: 'GET', url: `/public/rounds/${plannedId}/apply` });
  t.equal(hidden.statusCode, 404, 'the form of a round not yet public');
  t.notMatch(hidden.body, /Planlagt pulje/);
  const sent = await v.post(`/public/rounds/${plannedId}/apply`, { contactEmail: 'a@b.dk', intent: 'draft' });
  t.equal(sent.statusCode, 404, 'nor is it taken');
  t.equal((await h.app.inject({ method: 'GET', url: '/public/rounds/abc/apply' })).statusCode, 404);
});

t.test('a draft, finished through the link: the receipt arrives with a link that works', async (t) => {
  // Its own app: this one sends mail, to the test's SMTP server.
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...mailEnv, SMTP_URL: smtp.url } });
  const roundId = await roundOf(h, 'Pulje for naboskab');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);

  const draft = await v.post(page, {
    applicantKind: 'informal_group',
    groupName: 'Naboerne i Nørrebro',
    contactEmail: 'nabo@example.dk',
    intent: 'draft',
  });
  t.equal(draft.statusCode, 303, 'a draft is saved with only the e-mail address and a name');
  const token = tokenFrom(draft.headers.location);

  await until(() => smtp.received.length >= 1);
  const draftMail = smtp.received[0];
  t.equal(draftMail?.to && 'text' in draftMail.to ? draftMail.to.text : '', 'nabo@example.dk');
  t.match(draftMail?.subject ?? '', /kladde/);
  const mailed = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/.exec(draftMail?.text ?? '')?.[1];
  t.equal(mailed, `/public/applications/${token}`, 'the draft mail holds the link');

  const stored = await h.database.rows<{ token_hash: string }>(sql`select token_hash from application_links`);
  t.equal(stored.length, 1);
  t.notOk(stored[0]?.token_hash.includes(token), 'only a hash of the token is stored');

  const linkPage = await v.get(`/public/applications/${token}`);
  t.equal(linkPage.statusCode, 200);
  t.match(readReferences(linkPage.body), /Kladde – ikke sendt/, 'the link page shows the status');
  t.match(linkPage.body, /value="Naboerne i Nørrebro"/, 'and the draft to finish');
  const version = /name="version" value="(\d+)"/.exec(linkPage.body)?.[1] as string;

  const form = associationForm(groupId, {
    applicantKind: 'informal_group',
    organisationName: '',
    cvr: '',
    groupName: 'Naboerne i Nørrebro',
    responsibleName: 'Rasmus Ansvarlig',
    coSignerName: 'Signe Medunderskriver',
    contactEmail: 'nabo@example.dk',
    version,
  });
  const stale = await v.post(`/public/applications/${token}`, { ...form, version: String(Number(version) + 5) });
  t.equal(stale.statusCode, 409, 'a stale version is refused');
  const sent = await v.post(`/public/applications/${token}`, form);
  t.equal(sent.statusCode, 303);
  t.equal(sent.headers.location, `/public/applications/${token}`);

  await until(() => smtp.received.length >= 2);
  const receipt = smtp.received[1];
  t.match(receipt?.subject ?? '', /^Kvittering: din ansøgning til København/);
  t.match(receipt?.text ?? '', /Fællesspisning for hjemløse/);
  const link = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/.exec(receipt?.text ?? '')?.[1] as string;
  const shown = await h.app.inject({ method: 'GET', url: link });
  t.equal(shown.statusCode, 200, 'the link in the receipt works, without a cookie');
  t.match(shown.body, /Sendt \d\d\.\d\d\.\d{4}/, 'and shows the application as sent');
  t.match(shown.body, /Rasmus Ansvarlig/);
  t.match(shown.body, /24\.000,50 kr\./);
  t.notMatch(shown.body, /name="version"/, 'a sent application is no longer a form');

  const again = await v.post(`/public/applications/${token}`, { ...form, version: String(Number(version) + 1) });
  t.equal(again.statusCode, 409, 'a sent application is not changed');

  const [row] = await h.database.rows<Record<string, unknown>>(
    sql`select status, applicant_kind, cvr, organisation_name, responsible_name, applied_ore, bank_reg_no,
        bank_account_no, consent_at is not null as consented, privacy_text_version, municipality_codes,
        period_from::text as period_from, budget_lines, submitted_at is not null as submitted from applications`,
  );
  t.match(row, {
    status: 'submitted',
    applicant_kind: 'informal_group',
    cvr: null,
    organisation_name: null,
    responsible_name: 'Rasmus Ansvarlig',
    bank_reg_no: '1234',
    bank_account_no: '0012345678',
    consented: true,
    privacy_text_version: '2026-12',
    period_from: '2027-03-01',
    submitted: true,
  });
  t.equal(Number(row?.applied_ore), 2_400_050, 'the amount in øre');
  t.same(row?.budget_lines, [
    { text: 'Råvarer', amountOre: 2_000_000 },
    { text: 'Leje af køkken', amountOre: 500_050 },
  ]);
  const groups = await h.database.rows<{ target_group_id: number; expected_participants: number }>(
    sql`select target_group_id, expected_participants from application_target_groups`,
  );
  t.same(groups, [{ target_group_id: groupId, expected_participants: 25 }]);
  const audit = await h.database.rows<{ action: string; municipality_code: number }>(
    sql`select action, municipality_code from audit_log where entity = 'application' order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['application_draft_saved', 'application_submitted'],
  );
  t.ok(
    audit.every((a) => a.municipality_code === 101),
    'in the round municipality’s trail',
  );
  const trail = await h.database.rows<{ after: unknown }>(
    sql`select after from audit_log where entity = 'application'`,
  );
  t.notMatch(JSON.stringify(trail), /nabo@example|Rasmus/, 'no personal data in the audit trail');
});

t.test('an association applies at once; a token of another application or none is 404', async (t) => {
  const roundId = await roundOf(h, 'Pulje for foreninger');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page, '203.0.113.4');
  const [auditBefore, outboxBefore] = [await lastId(h.database, 'audit_log'), await lastId(h.database, 'mail_outbox')];
  const first = await v.post(page, associationForm(groupId));
  t.equal(first.statusCode, 303);
  const second = await v.post(page, associationForm(groupId, { projectTitle: 'Den anden', contactEmail: 'b@c.dk' }));
  const [a, b] = [tokenFrom(first.headers.location), tokenFrom(second.headers.location)];
  t.match((await v.get(`/public/applications/${a}`)).body, /Fællesspisning for hjemløse/);
  t.notMatch((await v.get(`/public/applications/${b}`)).body, /Fællesspisning for hjemløse/);
  const forged = `${a.slice(0, -4)}AAAA`;
  t.equal((await v.get(`/public/applications/${forged}`)).statusCode, 404, 'a token that is no link');
  t.equal((await v.get('/public/applications/x')).statusCode, 404, 'a malformed token');
  const other = await v.post(`/public/applications/${forged}`, associationForm(groupId, { version: '1' }));
  t.equal(other.statusCode, 404, 'posting to a token that is no link');
  // A refused post to a link (from another site) is in the audit trail without the link's token.
  const refused = await v.post(`/public/applications/${a}`, associationForm(groupId, { version: '1' }), {
    'sec-fetch-site': 'cross-site',
  });
  t.equal(refused.statusCode, 403);
  const denials = await h.database.rows<{ entity_id: string }>(
    sql`select entity_id from audit_log where (action = 'denied' or entity = 'access') and id > ${auditBefore} order by id`,
  );
  t.ok(denials.length > 0, 'the refusal is recorded');
  t.notOk(
    denials.some((d) => d.entity_id.includes(a)),
    `no token in the audit trail: ${denials.map((d) => d.entity_id).join(', ')}`,
  );
  t.ok(denials.some((d) => d.entity_id === 'POST /public/applications/[skjult]'));
  const outbox = await h.database.rows<{ kind: string; recipient: string }>(
    sql`select kind, recipient from mail_outbox where id > ${outboxBefore} order by id`,
  );
  t.same(outbox, [
    { kind: 'application-receipt', recipient: 'kirsten@forening.dk' },
    { kind: 'application-receipt', recipient: 'b@c.dk' },
  ]);
});

t.test('a filled honeypot is refused quietly: the same kind of answer, and nothing saved or sent', async (t) => {
  const roundId = await roundOf(h, 'Pulje mod spam');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page, '203.0.113.5');
  const [applicationsBefore, mailsBefore] = [await countOf('applications'), await countOf('mail_outbox')];
  const res = await v.post(page, associationForm(groupId, { website: 'http://spam.example' }));
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, page);
  t.same(
    { a: await countOf('applications'), m: await countOf('mail_outbox') },
    { a: applicationsBefore, m: mailsBefore },
    'nothing saved or sent',
  );
  const form = await v.get(page);
  t.match(form.body, /class="samspil-hp"/, 'the honeypot is in the form, hidden by the stylesheet');
});

t.test(
  "the application keeps the language its applicant last wrote in, for the municipality's later mails",
  async (t) => {
    const roundId = await roundOf(h, 'Pulje for sprog');
    const groupId = await ffbGroup(h, 'Hjemløshed');
    const page = `/public/rounds/${roundId}/apply`;
    const v = await visitor(h.app, page, '203.0.113.6');
    const english = { 'accept-language': 'en-GB,en;q=0.9' };
    const draft = await v.post(page, { contactEmail: 'neighbour@example.dk', intent: 'draft' }, english);
    t.equal(draft.statusCode, 303);
    const token = tokenFrom(draft.headers.location);
    const localeNow = async () =>
      (await h.database.rows<{ locale: string }>(sql`select locale from applications where round_id = ${roundId}`)).map(
        (r) => r.locale,
      );
    t.same(await localeNow(), ['en'], 'a draft saved from an English browser is in English');

    const linkPage = await v.get(`/public/applications/${token}`);
    const version = /name="version" value="(\d+)"/.exec(linkPage.body)?.[1] as string;
    const sent = await v.post(
      `/public/applications/${token}`,
      associationForm(groupId, { contactEmail: 'neighbour@example.dk', version }),
    );
    t.equal(sent.statusCode, 303);
    t.same(await localeNow(), ['da'], 'sent from a Danish browser, it is in Danish');
  },
);
