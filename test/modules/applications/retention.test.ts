import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, lastId, onPostgres, TEST_ENV, type TestApp } from '../../helper.ts';
import { copyPgliteTemplate, root, TS_LOADER } from '../../template.ts';
import { startSmtpServer, until } from '../mail/smtp.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, personal data: the retention job erases an applicant's personal data when its rule says
 * so, at fixed instants (no wall clock): an approved application 5 years after the end of its
 * round's year, a rejected one 365 days after the decision, a draft 90 days after it was last saved.
 * The day before each boundary it is kept, the day after it is gone; each erasure is audited
 * without the data; nothing of another application is touched. The applicant's free text (the
 * decision's reasons, the reports and finance's notes on them) goes too, and so do the address and
 * subject of the mails about the application; one still queued is never sent. An approved
 * application is kept while its grant is open; a sent one left undecided in a closed or decided
 * round goes as a rejected one does, counted from the round's decision (or close) date.
 */

type Row = Record<string, unknown>;

async function snapshot(h: TestApp, id: number): Promise<Row> {
  const [row] = await h.database.rows<Row>(
    sql`select a.*, (select count(*)::int from application_links l where l.application_id = a.id) as links,
          (select count(*)::int from application_documents d where d.application_id = a.id) as documents,
          (select count(*)::int from application_target_groups g where g.application_id = a.id) as target_groups,
          (select json_agg(json_build_object('body', q.body, 'answer', q.answer) order by q.id)
             from application_questions q where q.application_id = a.id) as questions,
          (select email from applicants p where p.id = a.applicant_id) as applicant_email,
          (select json_agg(json_build_object('what', r.what_was_done, 'note', r.finance_note, 'status', r.status,
             'reach', (select json_agg(x.participants) from application_report_reach x where x.report_id = r.id)) order by r.id)
             from application_reports r where r.application_id = a.id) as reports
        from applications a where a.id = ${id}`,
  );
  return row as Row;
}

// Each test has its own app: the retention job erases whatever is due in the whole database, and
// the tests count what it erased.
t.test('each rule erases on the day after its boundary, audited, and touches nothing else', async (t) => {
  const h = await buildTestApp(t);
  const [auditBefore, mailsBefore] = [await lastId(h.database, 'audit_log'), await lastId(h.database, 'mail_outbox')];
  const roundId = await roundOf(h, 'Pulje for opbevaring');
  await h.database.rows(sql`update grant_rounds set year = 2026 where id = ${roundId}`);
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page, '203.0.113.1');
  const tokens: Record<string, string> = {};
  const apply = async (name: string, form: Record<string, string | string[]>) => {
    const res = await v.post(page, form);
    t.equal(res.statusCode, 303, `${name} saved`);
    tokens[name] = tokenFrom(res.headers.location);
    const [row] = await h.database.rows<{ id: number }>(sql`select max(id)::int as id from applications`);
    return Number(row?.id);
  };
  const approved = await apply('approved', associationForm(groupId, { contactEmail: 'faelles@forening.dk' }));
  const submitted = await apply('submitted', associationForm(groupId, { contactEmail: 'faelles@forening.dk' }));
  const rejected = await apply('rejected', associationForm(groupId, { contactEmail: 'afslag@forening.dk' }));
  const draft = await apply('draft', {
    applicantKind: 'informal_group',
    groupName: 'Naboerne i Nørrebro',
    responsibleName: 'Rasmus Ansvarlig',
    coSignerName: 'Signe Medunderskriver',
    contactName: 'Rasmus Ansvarlig',
    contactEmail: 'nabo@example.dk',
    contactPhone: '12345678',
    intent: 'draft',
  });
  const staff = await h.as('finance', 101);
  // The approved application's grant (paid: its report is not accounted yet), and its report with
  // finance's note asking for more; the reasons of both decisions name a person.
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  const [grant] = await h.database.rows<{ id: number }>(
    sql`with g as (insert into grants (round_id, actor_id, title, requested_ore, awarded_ore, status, report_due_on)
          values (${roundId}, ${actor.id}, 'Fællesspisning', 2400050, 2400050, 'paid', '2027-06-01') returning id),
        a as (insert into grant_allocations (grant_id, target_group_id, amount_ore) select id, ${groupId}, 2400050 from g)
        select id from g`,
  );
  const grantId = Number(grant?.id);
  await h.database.rows(
    sql`update applications set status = 'approved', decided_at = '2027-02-01T10:00:00Z', decided_by = ${staff.user.id},
          grant_id = ${grantId}, decision_reasons = 'Kirsten Jensen kender målgruppen'
        where id = ${approved}`,
  );
  await h.database.rows(
    sql`update applications set status = 'rejected', decided_at = '2027-03-01T10:00:00Z', decided_by = ${staff.user.id},
          decision_reasons = 'Kirsten Jensens forening har gæld til kommunen'
        where id = ${rejected}`,
  );
  await h.database.rows(sql`
    with r as (insert into application_reports (application_id, grant_id, what_was_done, status, finance_note, decided_by, decided_at)
               values (${approved}, ${grantId}, 'Kirsten lavede mad hver tirsdag', 'more_requested',
                       'Send Kirstens kvitteringer', ${staff.user.id}, '2027-07-01T10:00:00Z') returning id)
    insert into application_report_reach (report_id, target_group_id, participants) select id, ${groupId}, 12 from r`);
  // The mails: each form queued one (a draft's link, a receipt). The rejected one's receipt and the
  // approved one's were sent (their bodies emptied, as the sender does); another mail about an
  // application to the draft's address in capitals, one to it in another municipality and one of
  // another kind, which the erasure leaves alone.
  await h.database.rows(sql`
    update mail_outbox set status = 'sent', sent_at = now(), text_body = null, html_body = null
    where id in (select min(id) from mail_outbox where recipient in ('afslag@forening.dk', 'faelles@forening.dk')
                   and id > ${mailsBefore} group by recipient)`);
  await h.database.rows(sql`
    insert into mail_outbox (message_id, kind, recipient, municipality_code, subject, text_body, html_body)
    values ('<q@test>', 'application-question', 'NABO@Example.dk', 101, 'Spørgsmål om »Naboerne«', 'tekst', '<p>tekst</p>'),
           ('<o@test>', 'application-draft', 'nabo@example.dk', 147, 'Din kladde hos Aarhus', 'tekst', '<p>tekst</p>'),
           ('<p@test>', 'password-reset', 'nabo@example.dk', 101, 'Vælg en adgangskode', 'tekst', '<p>tekst</p>')`);
  const mails = (recipient: string) =>
    h.database.rows<Row>(
      sql`select kind, recipient, municipality_code, subject, status, last_error, text_body is null as no_text,
            html_body is null as no_html
          from mail_outbox where lower(recipient) = ${recipient} and id > ${mailsBefore} order by id`,
    );
  const scrubbed = (kind: string, status: string) => ({
    kind,
    recipient: 'slettet',
    subject: kind,
    status,
    no_text: true,
    no_html: true,
  });
  await h.database.rows(sql`update applications set updated_at = '2027-01-10T10:00:00Z' where id = ${draft}`);
  // A document (with its content) and a question with its answer on the rejected application.
  const [chunksBefore] = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from application_document_chunks`,
  );
  await h.database.rows(sql`
    with d as (insert into application_documents (application_id, kind, file_name, media_type, size_bytes)
               values (${rejected}, 'budget', 'budget-kirsten.pdf', 'application/pdf', 4) returning id)
    insert into application_document_chunks (document_id, n, data) select id, 0, '\\x25504446'::bytea from d`);
  await h.database.rows(sql`
    insert into application_questions (application_id, asked_by, body, answer, answered_at)
    values (${rejected}, ${staff.user.id}, 'Hvem er Kirsten?', 'Kirsten er vores kasserer.', now())`);

  const ids = [approved, submitted, rejected, draft];
  const before = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await snapshot(h, id)])));
  const retention = h.app.services.applicationRetention;
  const unchanged = async (label: string, except: number[]) => {
    for (const id of ids.filter((i) => !except.includes(i)))
      t.same(await snapshot(h, id), before[id], `${label}: ${id} untouched`);
  };
  const erasedIds = async () =>
    (
      await h.database.rows<{ id: number }>(
        sql`select id from applications where erased_at is not null and round_id = ${roundId} order by id`,
      )
    ).map((r) => Number(r.id));

  // Drafts: 90 days after the last save (10 January 2027 → 10 April 2027).
  t.equal(await retention.eraseDue(new Date('2027-04-09T10:00:00Z')), 0, 'the day before: the draft is kept');
  await unchanged('a day before the draft rule', []);
  t.equal(await retention.eraseDue(new Date('2027-04-11T10:00:00Z')), 1, 'the day after: the draft is erased');
  t.same(await erasedIds(), [draft]);
  const d = await snapshot(h, draft);
  t.match(d, {
    group_name: 'Naboerne i Nørrebro',
    responsible_name: null,
    co_signer_name: null,
    contact_name: null,
    contact_email: 'slettet',
    contact_phone: null,
    links: 0,
    version: Number(before[draft]?.version) + 1,
  });
  t.equal(d.applicant_email, `slettet-${d.applicant_id}`, 'its applicant, with nothing else, loses the address');
  t.equal((await v.get(`/public/applications/${tokens.draft}`)).statusCode, 404, 'its link leads nowhere');
  t.same(
    await mails('slettet'),
    [
      { ...scrubbed('application-draft', 'failed'), last_error: 'application_erased', municipality_code: 101 },
      { ...scrubbed('application-question', 'failed'), last_error: 'application_erased', municipality_code: 101 },
    ],
    'its mails (the address in any case) lose address, subject and bodies, and the queued ones are never sent',
  );
  t.match(
    await mails('nabo@example.dk'),
    [
      {
        kind: 'application-draft',
        municipality_code: 147,
        subject: 'Din kladde hos Aarhus',
        status: 'queued',
        no_text: false,
      },
      {
        kind: 'password-reset',
        municipality_code: 101,
        subject: 'Vælg en adgangskode',
        status: 'queued',
        no_text: false,
      },
    ],
    "another municipality's mail and another kind of mail to the address stay",
  );
  await unchanged('after the draft rule', [draft]);

  // Rejected: 365 days after the decision (1 March 2027 → 29 February 2028).
  t.equal(await retention.eraseDue(new Date('2028-02-28T10:00:00Z')), 0, 'the day before: the rejected one is kept');
  t.equal(await retention.eraseDue(new Date('2028-03-01T10:00:00Z')), 1, 'the day after: it is erased');
  t.same(await erasedIds(), [rejected, draft]);
  const r = await snapshot(h, rejected);
  t.match(r, {
    organisation_name: 'Foreningen Fællesskab',
    cvr: '12345674',
    applied_ore: 2_400_050,
    status: 'rejected',
    round_id: roundId,
    contact_name: null,
    contact_email: 'slettet',
    contact_phone: null,
    bank_reg_no: null,
    bank_account_no: null,
    links: 0,
    documents: 0,
    target_groups: 1,
    questions: [{ body: '', answer: null }],
    decision_reasons: null,
  });
  t.match(await mails('afslag@forening.dk'), [], 'no mail keeps its address');
  t.equal((await mails('slettet')).filter((m) => m.kind === 'application-receipt' && m.status === 'sent').length, 1);
  t.equal(r.applicant_email, `slettet-${r.applicant_id}`);
  const conversation = await staff.inject({ method: 'GET', url: `/applications/${rejected}/questions` });
  t.equal(conversation.statusCode, 200, 'staff still see that a question was asked and answered');
  t.match(conversation.body, /Spørgsmålet er slettet sammen med ansøgerens personoplysninger/);
  t.match(conversation.body, /Svaret er slettet sammen med ansøgerens personoplysninger/);
  t.notMatch(conversation.body, /Kirsten/);
  const chunks = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from application_document_chunks`);
  t.equal(chunks[0]?.n, chunksBefore?.n, "the documents' content is gone");
  await unchanged('after the rejected rule', [draft, rejected]);

  // Approved: 5 years after the end of the round's year (2026 → kept through 31 December 2031),
  // and not while its grant is open (approved or paid: its report and accounts may still come).
  for (const status of ['paid', 'approved']) {
    await h.database.rows(sql`update grants set status = ${status}::grant_status where id = ${grantId}`);
    t.equal(
      await retention.eraseDue(new Date('2032-01-01T12:00:00Z')),
      0,
      `past the period, its grant ${status}: kept`,
    );
  }
  await h.database.rows(sql`update grants set status = 'accounted' where id = ${grantId}`);
  t.equal(await retention.eraseDue(new Date('2031-12-31T12:00:00Z')), 0, 'the last day of the fifth year: kept');
  t.equal(await retention.eraseDue(new Date('2032-01-01T12:00:00Z')), 1, 'the day after, its grant accounted: erased');
  t.same(await erasedIds(), [approved, rejected, draft]);
  const a = await snapshot(h, approved);
  t.match(a, {
    contact_email: 'slettet',
    organisation_name: 'Foreningen Fællesskab',
    applied_ore: 2_400_050,
    status: 'approved',
    grant_id: grantId,
    decision_reasons: null,
    reports: [{ what: '', note: null, status: 'more_requested', reach: [12] }],
  });
  const reportPage = await staff.inject({ method: 'GET', url: `/grants/${grantId}/application-report` });
  t.equal(reportPage.statusCode, 200);
  t.match(reportPage.body, /Beskrivelsen er slettet sammen med ansøgerens personoplysninger/);
  t.notMatch(reportPage.body, /Kirsten/, 'the report page shows neither the text nor the note');
  t.match(
    await mails('faelles@forening.dk'),
    [{ kind: 'application-receipt', recipient: 'faelles@forening.dk', status: 'queued', no_text: false }],
    'the receipt still queued to the address the submitted application holds is still sent',
  );
  t.equal(a.applicant_email, 'faelles@forening.dk', 'an applicant with an application still holding data keeps it');
  t.same(await snapshot(h, submitted), before[submitted], 'a submitted application of an open round is kept');
  t.equal(await retention.eraseDue(new Date('2040-01-01T12:00:00Z')), 0, 'nothing is erased twice');
  // Its round decided without deciding it: erased as a rejected one, counted from the round's decision.
  await h.database.rows(
    sql`update grant_rounds set status = 'decided', decision_on = '2027-02-01' where id = ${roundId}`,
  );
  t.equal(
    await retention.eraseDue(new Date('2040-01-01T12:00:00Z')),
    1,
    'the undecided one of a decided round: erased',
  );
  t.same(await erasedIds(), [approved, submitted, rejected, draft]);
  t.match(await mails('faelles@forening.dk'), [], 'and now no mail keeps the address');
  t.match(
    (await mails('slettet')).filter((m) => m.kind === 'application-receipt'),
    [
      scrubbed('application-receipt', 'sent'),
      { ...scrubbed('application-receipt', 'failed'), last_error: 'application_erased' },
      scrubbed('application-receipt', 'sent'),
    ],
    "its queued receipt is never sent (in the order queued: the approved one's, its own, the rejected one's)",
  );

  const audit = await h.database.rows<{
    entity_id: string;
    user_id: number | null;
    municipality_code: number;
    after: Row;
  }>(
    sql`select entity_id, user_id, municipality_code, after from audit_log
        where action = 'application_erased' and id > ${auditBefore} order by id`,
  );
  t.match(audit, [
    {
      entity_id: String(draft),
      user_id: null,
      municipality_code: 101,
      after: { rule: 'draft', links: 1, reports: 0, decisionReasons: false, mailsScrubbed: 2, mailsCancelled: 2 },
    },
    {
      entity_id: String(rejected),
      municipality_code: 101,
      after: {
        rule: 'rejected',
        documents: 1,
        questions: 1,
        decisionReasons: true,
        mailsScrubbed: 1,
        mailsCancelled: 0,
      },
    },
    {
      entity_id: String(approved),
      municipality_code: 101,
      after: { rule: 'approved', applicantForgotten: false, reports: 1, decisionReasons: true, mailsScrubbed: 1 },
    },
    {
      entity_id: String(submitted),
      after: { rule: 'undecided', applicantForgotten: true, mailsScrubbed: 1, mailsCancelled: 1 },
    },
  ]);
  t.notMatch(
    JSON.stringify(audit),
    /forening\.dk|example\.dk|Rasmus|Kirsten|kasserer|gæld|målgruppen|12345678|0012345678/,
    'no personal data in the audit trail',
  );
});

t.test('a sent application left undecided in a closed or decided round: erased as a rejected one', async (t) => {
  const h = await buildTestApp(t);
  const auditBefore = await lastId(h.database, 'audit_log');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const applyIn = async (name: string, email: string) => {
    const roundId = await roundOf(h, name);
    const v = await visitor(h.app, `/public/rounds/${roundId}/apply`, '203.0.113.2');
    const res = await v.post(`/public/rounds/${roundId}/apply`, associationForm(groupId, { contactEmail: email }));
    t.equal(res.statusCode, 303, `sent in ${name}`);
    const [row] = await h.database.rows<{ id: number }>(sql`select max(id)::int as id from applications`);
    return { roundId, id: Number(row?.id) };
  };
  const closed = await applyIn('Lukket pulje', 'lukket@forening.dk');
  const decided = await applyIn('Afgjort pulje', 'afgjort@forening.dk');
  const open = await applyIn('Åben pulje', 'aaben@forening.dk');
  // Closed on 31 January 2027 with no decision date; decided on 1 March 2027 (under review, never decided).
  await h.database.rows(sql`update grant_rounds set status = 'closed', applications_open_on = '2027-01-01',
    applications_close_on = '2027-01-31', decision_on = null where id = ${closed.roundId}`);
  await h.database.rows(sql`update grant_rounds set status = 'decided', applications_open_on = '2027-01-01',
    applications_close_on = '2027-01-31', decision_on = '2027-03-01' where id = ${decided.roundId}`);
  await h.database.rows(sql`update applications set status = 'under_review' where id = ${decided.id}`);
  await h.database.rows(sql`update grant_rounds set applications_close_on = '2027-01-31' where id = ${open.roundId}`);
  const retention = h.app.services.applicationRetention;
  const erased = async () =>
    (
      await h.database.rows<{ id: number }>(
        sql`select id from applications where erased_at is not null
            and round_id in (${closed.roundId}, ${decided.roundId}, ${open.roundId}) order by id`,
      )
    ).map((r) => Number(r.id));
  // 365 days after the close date, in Danish days: 31 January 2028 is kept, 1 February 2028 is not.
  t.equal(await retention.eraseDue(new Date('2028-01-31T22:30:00Z')), 0, '31.01.2028 23:30 in Denmark: kept');
  t.equal(await retention.eraseDue(new Date('2028-01-31T23:30:00Z')), 1, '01.02.2028 00:30 in Denmark: erased');
  t.same(await erased(), [closed.id], "the closed round's, counted from its close date");
  // 365 days after the decision date: 29 February 2028 is kept, 1 March 2028 is not.
  t.equal(await retention.eraseDue(new Date('2028-02-29T12:00:00Z')), 0, '29.02.2028: kept');
  t.equal(await retention.eraseDue(new Date('2028-03-01T12:00:00Z')), 1, '01.03.2028: erased');
  t.same(await erased(), [closed.id, decided.id], "the decided round's, counted from its decision date");
  t.equal(await retention.eraseDue(new Date('2040-01-01T12:00:00Z')), 0, 'one of a round still open is kept');
  const audit = await h.database.rows<{ entity_id: string; after: Row }>(
    sql`select entity_id, after from audit_log where action = 'application_erased' and id > ${auditBefore} order by id`,
  );
  t.match(audit, [
    { entity_id: String(closed.id), after: { rule: 'undecided', mailsScrubbed: 1, mailsCancelled: 1 } },
    { entity_id: String(decided.id), after: { rule: 'undecided' } },
  ]);
  const [row] = await h.database.rows<Row>(
    sql`select status::text, contact_email, contact_name from applications where id = ${decided.id}`,
  );
  t.same(row, { status: 'under_review', contact_email: 'slettet', contact_name: null }, 'its status stays');
});

t.test('the retention periods come from the configuration', async (t) => {
  // Its own app: other retention periods.
  const h = await buildTestApp(t, {
    env: { APPLICATION_RETENTION_YEARS: '1', REJECTED_APPLICATION_RETENTION_DAYS: '10', DRAFT_RETENTION_DAYS: '2' },
  });
  const roundId = await roundOf(h, 'Pulje med kort opbevaring');
  const v = await visitor(h.app, `/public/rounds/${roundId}/apply`);
  t.equal(
    (await v.post(`/public/rounds/${roundId}/apply`, { contactEmail: 'kort@example.dk', intent: 'draft' })).statusCode,
    303,
  );
  await h.database.rows(sql`update applications set updated_at = '2027-01-10T10:00:00Z'`);
  const retention = h.app.services.applicationRetention;
  t.equal(await retention.eraseDue(new Date('2027-01-11T10:00:00Z')), 0, 'a day after the save: kept');
  t.equal(await retention.eraseDue(new Date('2027-01-13T10:00:00Z')), 1, 'three days after: erased');
});

t.test('the timer erases what is due in the process that sends mail, and only there', async (t) => {
  // Its own two apps: a timer, with and without the mail sender.
  const smtp = await startSmtpServer(t);
  const env = { APPLICATION_RETENTION_POLL_MS: '1000', MAIL_POLL_MS: '50', SMTP_URL: smtp.url };
  const h = await buildTestApp(t, { env: { ...env, MAIL_SENDER: 'on' } });
  const quiet = await buildTestApp(t, { env: { ...env, MAIL_SENDER: 'off' } });
  for (const app of [h, quiet]) {
    const roundId = await roundOf(app, 'Pulje med ur');
    const v = await visitor(app.app, `/public/rounds/${roundId}/apply`);
    await v.post(`/public/rounds/${roundId}/apply`, { contactEmail: 'ur@example.dk', intent: 'draft' });
    await app.database.rows(sql`update applications set updated_at = '2020-01-01T00:00:00Z'`);
  }
  const erased = (app: TestApp) =>
    app.database
      .rows<{ n: number }>(sql`select count(*)::int as n from applications where erased_at is not null`)
      .then((r) => Number(r[0]?.n));
  await until(async () => (await erased(h)) === 1);
  t.pass('MAIL_SENDER=on: the abandoned draft was erased by the timer');
  t.equal(await erased(quiet), 0, 'MAIL_SENDER=off: no timer, nothing erased');
});

t.test('npm run cli -- applications erase', { skip: onPostgres && 'PGlite only' }, async (t) => {
  const dataDir = await copyPgliteTemplate('samspil-erase-');
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const database = await openDatabase({ kind: 'pglite', dataDir });
  await database.rows(sql`insert into applicants (email) values ('gammel@example.dk'), ('ny@example.dk')`);
  await database.rows(
    sql`insert into grant_rounds (municipality_code, year, name, budget_ore) values (101, 2026, 'Pulje', 1000000)`,
  );
  await database.rows(sql`
    insert into applications (round_id, applicant_id, contact_email, contact_name, updated_at)
    select r.id, p.id, p.email, 'Navn', case when p.email = 'gammel@example.dk' then '2020-01-01T00:00:00Z'::timestamptz else now() end
    from grant_rounds r, applicants p`);
  await database.close();
  const env = { ...process.env, ...TEST_ENV, DATA_DIR: dataDir, DATABASE_URL: '' };
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...TS_LOADER, 'src/cli.ts', 'applications', 'erase'],
    { cwd: root, env },
  );
  t.match(stdout, /Erased the personal data of 1 application\./);
  const after = await openDatabase({ kind: 'pglite', dataDir });
  t.teardown(() => after.close());
  const rows = await after.rows<{ contact_email: string; contact_name: string | null; erased: boolean }>(
    sql`select contact_email, contact_name, erased_at is not null as erased from applications order by id`,
  );
  t.same(rows, [
    { contact_email: 'slettet', contact_name: null, erased: true },
    { contact_email: 'ny@example.dk', contact_name: 'Navn', erased: false },
  ]);
});
