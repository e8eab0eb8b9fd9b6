import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { openDatabase } from '../../../src/db/client.ts';
import { buildTestApp, onPostgres, TEST_ENV, type TestApp } from '../../helper.ts';
import { copyPgliteTemplate, root } from '../../template.ts';
import { startSmtpServer, until } from '../mail/smtp.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, personal data: the retention job erases an applicant's personal data when its rule says
 * so, at fixed instants (no wall clock): an approved application 5 years after the end of its
 * round's year, a rejected one 365 days after the decision, a draft 90 days after it was last saved.
 * The day before each boundary it is kept, the day after it is gone; each erasure is audited
 * without the data; nothing of another application is touched.
 */

type Row = Record<string, unknown>;

async function snapshot(h: TestApp, id: number): Promise<Row> {
  const [row] = await h.database.rows<Row>(
    sql`select a.*, (select count(*)::int from application_links l where l.application_id = a.id) as links,
          (select count(*)::int from application_documents d where d.application_id = a.id) as documents,
          (select count(*)::int from application_target_groups g where g.application_id = a.id) as target_groups,
          (select json_agg(json_build_object('body', q.body, 'answer', q.answer) order by q.id)
             from application_questions q where q.application_id = a.id) as questions,
          (select email from applicants p where p.id = a.applicant_id) as applicant_email
        from applications a where a.id = ${id}`,
  );
  return row as Row;
}

t.test('each rule erases on the day after its boundary, audited, and touches nothing else', async (t) => {
  const h = await buildTestApp(t);
  const roundId = await roundOf(h, 'Pulje for opbevaring');
  await h.database.rows(sql`update grant_rounds set year = 2026 where id = ${roundId}`);
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
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
  await h.database.rows(
    sql`update applications set status = 'approved', decided_at = '2027-02-01T10:00:00Z', decided_by = ${staff.user.id}
        where id = ${approved}`,
  );
  await h.database.rows(
    sql`update applications set status = 'rejected', decided_at = '2027-03-01T10:00:00Z', decided_by = ${staff.user.id}
        where id = ${rejected}`,
  );
  await h.database.rows(sql`update applications set updated_at = '2027-01-10T10:00:00Z' where id = ${draft}`);
  // A document (with its content) and a question with its answer on the rejected application.
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
      await h.database.rows<{ id: number }>(sql`select id from applications where erased_at is not null order by id`)
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
  });
  t.equal(r.applicant_email, `slettet-${r.applicant_id}`);
  const conversation = await staff.inject({ method: 'GET', url: `/applications/${rejected}/questions` });
  t.equal(conversation.statusCode, 200, 'staff still see that a question was asked and answered');
  t.match(conversation.body, /Spørgsmålet er slettet sammen med ansøgerens personoplysninger/);
  t.match(conversation.body, /Svaret er slettet sammen med ansøgerens personoplysninger/);
  t.notMatch(conversation.body, /Kirsten/);
  const chunks = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from application_document_chunks`);
  t.equal(chunks[0]?.n, 0, "the documents' content is gone");
  await unchanged('after the rejected rule', [draft, rejected]);

  // Approved: 5 years after the end of the round's year (2026 → kept through 31 December 2031).
  t.equal(await retention.eraseDue(new Date('2031-12-31T12:00:00Z')), 0, 'the last day of the fifth year: kept');
  t.equal(await retention.eraseDue(new Date('2032-01-01T12:00:00Z')), 1, 'the day after: erased');
  t.same(await erasedIds(), [approved, rejected, draft]);
  const a = await snapshot(h, approved);
  t.match(a, { contact_email: 'slettet', organisation_name: 'Foreningen Fællesskab', applied_ore: 2_400_050 });
  t.equal(a.applicant_email, 'faelles@forening.dk', 'an applicant with an application still holding data keeps it');
  t.same(await snapshot(h, submitted), before[submitted], 'a submitted application is never erased');
  t.equal(await retention.eraseDue(new Date('2040-01-01T12:00:00Z')), 0, 'nothing is erased twice');

  const audit = await h.database.rows<{
    entity_id: string;
    user_id: number | null;
    municipality_code: number;
    after: Row;
  }>(
    sql`select entity_id, user_id, municipality_code, after from audit_log where action = 'application_erased' order by id`,
  );
  t.match(audit, [
    { entity_id: String(draft), user_id: null, municipality_code: 101, after: { rule: 'draft', links: 1 } },
    { entity_id: String(rejected), municipality_code: 101, after: { rule: 'rejected', documents: 1, questions: 1 } },
    { entity_id: String(approved), municipality_code: 101, after: { rule: 'approved', applicantForgotten: false } },
  ]);
  t.notMatch(
    JSON.stringify(audit),
    /forening\.dk|example\.dk|Rasmus|Kirsten|kasserer|12345678|0012345678/,
    'no personal data in the audit trail',
  );
});

t.test('the retention periods come from the configuration', async (t) => {
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
    ['--import', 'tsx', 'src/cli.ts', 'applications', 'erase'],
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
