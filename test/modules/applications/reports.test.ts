import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { danishDate } from '../../../src/lib/dates.ts';
import { linkHash } from '../../../src/modules/applications/applications.rules.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, lastId, type TestApp } from '../../helper.ts';
import { multipart } from '../imports/upload.ts';
import { startSmtpServer, until } from '../mail/smtp.ts';
import { pdf, png } from './files.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, type Visitor, visitor } from './fixture.ts';

/**
 * Issue 21, reporting: a grant's report sent through the application's link, with the accounts and,
 * at or above the threshold (AUDITOR_THRESHOLD_KR, 20.000 kr. in tests), the auditor's endorsement;
 * finance accepts it (the grant is accounted through the grant flow) or asks for more (a mail with a
 * fresh link); accepted reach shows in the proportionality report, rolled up the FFB tree.
 */
const mailEnv = { MAIL_SENDER: 'on', MAIL_POLL_MS: '50', MAIL_RETRY_BASE_MS: '20', PUBLIC_URL: 'https://samspil.test' };

/**
 * One app for the tests that need no mail sender. Each has its own round, applicant and grant, and
 * reads back only their reports, documents and audit rows.
 */
const shared = await buildTestApp(t);

interface Setup {
  h: TestApp;
  finance: Client;
  v: Visitor;
  token: string;
  grantId: number;
  applicationId: number;
  stof: number;
  misbrug: number;
  year: number;
}

/**
 * An association applies through the public form for "Stofmisbrug"; finance awards a grant for it
 * through the grant API, and the application is marked approved with that grant (the decision
 * helper's step, done here by SQL).
 */
async function approvedApplication(h: TestApp, awardedOre: number, email = 'kirsten@forening.dk'): Promise<Setup> {
  const finance = await h.as('finance', 101);
  const roundId = await roundOf(h, `Pulje ${email}`);
  const stof = await ffbGroup(h, 'Stofmisbrug');
  const misbrug = await ffbGroup(h, 'Misbrug');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  const applied = await v.post(page, associationForm(stof, { contactEmail: email }));
  if (applied.statusCode !== 303) throw new Error(`not applied: ${applied.statusCode}`);
  const token = tokenFrom(applied.headers.location);
  // Every setup's actor has the same name, so the registry is told to take a similar one.
  const created = await h.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput() });
  if (created.statusCode !== 201) throw new Error(`no actor: ${created.body}`);
  const actor = created.json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId, actorId: actor.id, title: 'Fællesspisning', requestedOre: awardedOre },
    })
  ).json();
  const awarded = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: grant.version, awardedOre, targetGroupId: stof },
  });
  if (awarded.statusCode !== 200) throw new Error(`not awarded: ${awarded.body}`);
  const [app] = await h.database.rows<{ id: number }>(
    sql`update applications set status = 'approved', grant_id = ${grant.id}, decided_at = now(),
      decided_by = ${finance.user.id} where contact_email = ${email} returning id`,
  );
  return {
    h,
    finance,
    v,
    token,
    grantId: grant.id,
    applicationId: app?.id ?? 0,
    stof,
    misbrug,
    year: Number(danishDate().slice(0, 4)),
  };
}

function upload(app: FastifyInstance, v: Visitor, token: string, file: Buffer, name: string, kind: string) {
  return app.inject({
    method: 'POST',
    url: `/public/applications/${token}/documents`,
    ...multipart({ _csrf: v.csrf, kind }, file, name),
    headers: { ...multipart({}, Buffer.alloc(0)).headers, cookie: v.cookie },
  });
}

const reportForm = (s: Setup, participants: string, extra: Record<string, string> = {}) => ({
  whatWasDone: 'Vi lavede mad sammen hver torsdag i hele året.',
  'reach[0][targetGroupId]': String(s.stof),
  'reach[0][participants]': participants,
  previousId: '0',
  version: '0',
  ...extra,
});

async function reachedIn(s: Setup, groupId: number): Promise<number | undefined> {
  const res = await s.finance.inject({
    method: 'GET',
    url: `/api/v1/reports/proportionality?municipalityCode=101&year=${s.year}`,
  });
  const rows = res.json().rows as { targetGroupId: number; reachedPeople: number }[];
  return rows.find((r) => r.targetGroupId === groupId)?.reachedPeople;
}

const grantRow = async (h: TestApp, id: number) =>
  (
    await h.database.rows<{ status: string; received: string | null; endorsed: boolean; version: number }>(
      sql`select status, report_received_on::text as received, auditor_endorsed as endorsed, version
        from grants where id = ${id}`,
    )
  )[0];

t.test(
  'a report through the link with accounts and endorsement, accepted: the grant is accounted, reach counted',
  async (t) => {
    const h = shared;
    const auditBefore = await lastId(h.database, 'audit_log');
    // 25.000 kr.: at or above the threshold, so the auditor's endorsement is needed.
    const s = await approvedApplication(h, 2_500_000);
    const { v, token } = s;

    const show = await v.get(`/public/applications/${token}`);
    t.match(show.body, new RegExp(`href="/public/applications/${token}/report"`), 'the link page leads to the report');
    const page = await v.get(`/public/applications/${token}/report`);
    t.equal(page.statusCode, 200);
    t.match(page.body, /Frist for afrapportering<\/dt><dd>01\.06\.\d{4}/, 'with the due date');
    t.match(page.body, /revisorpåtegning/, 'and says the endorsement is needed');
    t.match(page.body, /name="reach\[0\]\[participants\]"/, 'a field per target group');

    const url = `/public/applications/${token}/report`;
    const noAccounts = await v.post(url, reportForm(s, '40'));
    t.equal(noAccounts.statusCode, 422, 'no report without the accounts');
    t.match(noAccounts.body, /Vedhæft regnskabet for projektet/);
    t.match(noAccounts.body, /Vi lavede mad sammen/, 'the text typed is kept');

    const accounts = await upload(h.app, v, token, pdf(3_000), 'regnskab.pdf', 'report_accounts');
    t.equal(accounts.statusCode, 303, accounts.body);
    t.equal(accounts.headers.location, `/public/applications/${token}/report#documents`);
    const noEndorsement = await v.post(url, reportForm(s, '40'));
    t.equal(noEndorsement.statusCode, 422, 'above the threshold, no report without the endorsement');
    t.match(noEndorsement.body, /Vedhæft revisorpåtegningen/);
    const before = await h.database.rows<{ n: number }>(
      sql`select count(*)::int as n from application_reports where application_id = ${s.applicationId}`,
    );
    t.equal(before[0]?.n, 0, 'nothing written by a refused report');

    t.equal((await upload(h.app, v, token, png(), 'paategning.png', 'auditor_endorsement')).statusCode, 303);
    const missingReach = await v.post(url, reportForm(s, ''));
    t.equal(missingReach.statusCode, 422, 'every group needs its number');

    const sent = await v.post(url, reportForm(s, '40'));
    t.equal(sent.statusCode, 303, sent.body);
    const grant = await grantRow(h, s.grantId);
    t.equal(grant?.received, danishDate(), 'the grant records the report as received');
    t.equal(grant?.endorsed, false, 'finance has not yet confirmed the endorsement');
    const audit = await h.database.rows<{ user_id: number | null; action: string }>(
      sql`select user_id, action from audit_log where entity = 'application_report' and id > ${auditBefore} order by id`,
    );
    t.same(audit, [{ user_id: null, action: 'application_report_submitted' }], 'audited as the applicant');
    const grantAudit = await h.database.rows<{ action: string }>(
      sql`select action from audit_log where entity = 'grant' and entity_id = ${String(s.grantId)} order by id desc limit 1`,
    );
    t.equal(grantAudit[0]?.action, 'report_received', 'through the grant flow');
    const linked = await h.database.rows<{ n: number }>(
      sql`select count(*)::int as n from application_documents
          where report_id is not null and application_id = ${s.applicationId}`,
    );
    t.equal(linked[0]?.n, 2, 'both documents belong to the report');
    t.equal((await v.post(url, reportForm(s, '41'))).statusCode, 409, 'a report sent twice is stale');
    t.equal(await reachedIn(s, s.stof), 0, 'a report not yet accepted is not counted');
    const unaccepted = await s.finance.inject({
      method: 'GET',
      url: `/reports/proportionality?area=municipality:101&year=${s.year}`,
    });
    t.notMatch(unaccepted.body, /Nåede deltagere/, 'without accepted reach, the report page has no reach column');

    // Finance pays the grant in full, so accepting the report can account it.
    const g = (await s.finance.inject({ method: 'GET', url: `/api/v1/grants/${s.grantId}` })).json();
    const paid = await s.finance.inject({
      method: 'PATCH',
      url: `/api/v1/grants/${s.grantId}`,
      payload: { version: g.version, payments: [{ kind: 'payment', paidOn: danishDate(), amountOre: 2_500_000 }] },
    });
    t.equal(paid.statusCode, 200, 'paid in full');
    const marked = await s.finance.inject({
      method: 'POST',
      url: `/api/v1/grants/${s.grantId}/transitions`,
      payload: { to: 'paid', version: paid.json().version },
    });
    t.equal(marked.statusCode, 200, 'marked as paid');

    const grantPage = await s.finance.inject({ method: 'GET', url: `/grants/${s.grantId}` });
    t.match(grantPage.body, new RegExp(`href="/grants/${s.grantId}/application-report"`), 'the grant page links to it');
    const financePage = await s.finance.inject({ method: 'GET', url: `/grants/${s.grantId}/application-report` });
    t.equal(financePage.statusCode, 200);
    t.match(financePage.body, /Vi lavede mad sammen/, 'finance sees what was done');
    t.match(financePage.body, /Stofmisbrug<\/td><td class="samspil-num">40</, 'and the reach');
    const docId = /\/application-report\/documents\/(\d+)"/.exec(financePage.body)?.[1];
    const download = await s.finance.inject({
      method: 'GET',
      url: `/grants/${s.grantId}/application-report/documents/${docId}`,
    });
    t.equal(download.statusCode, 200);
    t.match(String(download.headers['content-disposition']), /^attachment; filename="regnskab\.pdf"/);
    t.equal(download.headers['x-content-type-options'], 'nosniff');
    t.equal(download.headers['content-security-policy'], 'sandbox');
    t.equal(download.rawPayload.length, 3_000, 'the whole file');

    // Another municipality, and the public, are told nothing exists.
    const foreign = await h.as('finance', 147);
    t.equal((await foreign.inject({ method: 'GET', url: `/grants/${s.grantId}/application-report` })).statusCode, 404);
    t.equal(
      (await foreign.inject({ method: 'GET', url: `/grants/${s.grantId}/application-report/documents/${docId}` }))
        .statusCode,
      404,
      'nor its documents',
    );
    const form = (c: Client, extra: Record<string, string> = {}) =>
      c.postForm(`/grants/${s.grantId}/application-report/accept`, { reportId: '1', version: '1', ...extra });
    t.equal((await form(foreign, { confirm: 'yes' })).statusCode, 404, 'nor may another municipality accept it');
    const anonymous = await h.anonymous({
      method: 'GET',
      url: `/grants/${s.grantId}/application-report/documents/${docId}`,
    });
    t.not(anonymous.statusCode, 200, 'the public gets no document');
    const coordinator = await h.as('coordinator', 101);
    t.equal((await form(coordinator, { confirm: 'yes' })).statusCode, 403, 'only finance and admin accept');
    const otherToken = await v.get(`/public/applications/${'x'.repeat(43)}/report`);
    t.equal(otherToken.statusCode, 404, 'a token that is no link gets 404');
    // Another application's link (not approved) leads to no report, and cannot send one.
    const roundId = await roundOf(h, 'Pulje for en anden');
    const otherPage = `/public/rounds/${roundId}/apply`;
    const other = await v.post(otherPage, associationForm(s.stof, { contactEmail: 'anden@forening.dk' }));
    const otherLink = tokenFrom(other.headers.location);
    t.equal((await v.get(`/public/applications/${otherLink}/report`)).statusCode, 404, 'another token: 404');
    t.equal((await v.post(`/public/applications/${otherLink}/report`, reportForm(s, '1'))).statusCode, 404);
    t.equal(
      (await upload(h.app, v, otherLink, pdf(), 'regnskab.pdf', 'report_accounts')).statusCode,
      409,
      'nor take report documents',
    );

    const reportId = /name="reportId" value="(\d+)"/.exec(financePage.body)?.[1] ?? '';
    const asked = await s.finance.postForm(`/grants/${s.grantId}/application-report/accept`, {
      reportId,
      version: '1',
    });
    t.equal(asked.statusCode, 200, 'accepting asks first');
    t.match(asked.body, /Ja, godkend afrapporteringen/);
    t.match(asked.body, /markeres som afregnet/);
    t.equal((await grantRow(h, s.grantId))?.status, 'paid', 'nothing changed by the question');
    const accepted = await s.finance.postForm(`/grants/${s.grantId}/application-report/accept`, {
      reportId,
      version: '1',
      confirm: 'yes',
    });
    t.equal(accepted.statusCode, 303, accepted.body);
    const after = await grantRow(h, s.grantId);
    t.equal(after?.status, 'accounted', 'the grant is accounted through its own step');
    t.equal(after?.endorsed, true, 'with the endorsement sent');
    const again = await s.finance.postForm(`/grants/${s.grantId}/application-report/accept`, {
      reportId,
      version: '1',
      confirm: 'yes',
    });
    t.equal(again.statusCode, 409, 'a report is accepted once');

    t.equal(await reachedIn(s, s.stof), 40, 'the proportionality report shows the reach for the group');
    t.equal(await reachedIn(s, s.misbrug), 40, 'and for its parent');
    const reportPage = await s.finance.inject({
      method: 'GET',
      url: `/reports/proportionality?area=municipality:101&year=${s.year}`,
    });
    t.match(reportPage.body, /Nåede deltagere/, 'the report page has the column');
    const csv = await s.finance.inject({
      method: 'GET',
      url: `/reports/proportionality/export.csv?area=municipality:101&year=${s.year}`,
    });
    t.equal(csv.statusCode, 200);
    const csvText = csv.body;
    t.match(csvText, /;Nåede deltagere;/, 'and the export has the column');
    const stofLine = csvText.split(/\r?\n/).find((l) => l.startsWith('Stofmisbrug;'));
    t.match(stofLine ?? '', /;40;/, 'with the reach');
    const link = await v.get(`/public/applications/${token}/report`);
    t.match(link.body, /Afrapporteringen er godkendt/, 'the applicant sees it accepted');
    t.notMatch(link.body, /name="whatWasDone"/, 'and no form');
  },
);

t.test('finance asks for more: a mail with a fresh link, and a second report', async (t) => {
  // Its own app, here and in the next test: this one sends mail, to the test's SMTP server.
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...mailEnv, SMTP_URL: smtp.url } });
  // 15.000 kr.: below the threshold, the accounts alone do.
  const s = await approvedApplication(h, 1_500_000, 'nabo@example.dk');
  const { v, token } = s;
  await until(() => smtp.received.length >= 1);
  t.equal((await upload(h.app, v, token, pdf(), 'regnskab.pdf', 'report_accounts')).statusCode, 303);
  const url = `/public/applications/${token}/report`;
  t.equal((await v.post(url, reportForm(s, '12'))).statusCode, 303, 'sent with the accounts alone');
  const reportId = (await h.database.rows<{ id: number }>(sql`select id from application_reports`))[0]?.id;

  const more = `/grants/${s.grantId}/application-report/more`;
  const empty = await s.finance.postForm(more, { reportId: String(reportId), version: '1', note: '' });
  t.equal(empty.statusCode, 422, 'asking for more needs a note');
  const asked = await s.finance.postForm(more, {
    reportId: String(reportId),
    version: '1',
    note: 'Send venligst bilag for råvarerne.',
  });
  t.equal(asked.statusCode, 303, asked.body);
  t.equal((await grantRow(h, s.grantId))?.received, null, 'the report is no longer received: reminders count again');

  await until(() => smtp.received.length >= 2);
  const mail = smtp.received[1];
  t.match(mail?.subject ?? '', /beder om mere/, 'in the application’s language (Danish)');
  t.match(mail?.text ?? '', /Send venligst bilag for råvarerne\./, 'with the note');
  t.match(mail?.text ?? '', /senest 01\.06\.\d{4}:/, 'and the due date, still ahead');
  const fresh = /https:\/\/samspil\.test\/public\/applications\/([\w-]+)\/report/.exec(mail?.text ?? '')?.[1] ?? '';
  t.ok(fresh && fresh !== token, 'and a fresh link');
  const links = await h.database.rows<{ token_hash: string }>(
    sql`select token_hash from application_links where application_id = ${s.applicationId}`,
  );
  t.equal(links.length, 2, 'a new link row');
  t.ok(
    links.some((l) => l.token_hash === linkHash(fresh)),
    'only its hash is stored',
  );
  t.notOk(
    links.some((l) => l.token_hash.includes(fresh)),
    'never the token',
  );

  const again = await v.get(`/public/applications/${fresh}/report`);
  t.equal(again.statusCode, 200);
  t.match(again.body, /Send venligst bilag for råvarerne\./, 'the link page shows the note');
  t.match(again.body, /name="whatWasDone"/, 'and the form again');
  const previous = /name="previousId" value="(\d+)"/.exec(again.body)?.[1] ?? '';
  const version = /name="version" value="(\d+)"/.exec(again.body)?.[1] ?? '';
  const second = await v.post(
    `/public/applications/${fresh}/report`,
    reportForm(s, '15', { previousId: previous, version, whatWasDone: 'Nu med bilag.' }),
  );
  t.equal(second.statusCode, 303, second.body);
  const reports = await h.database.rows<{ status: string }>(sql`select status from application_reports order by id`);
  t.same(
    reports.map((r) => r.status),
    ['more_requested', 'submitted'],
    'both kept, the latest waiting',
  );
  t.equal((await grantRow(h, s.grantId))?.received, danishDate(), 'received again');
  t.equal(await reachedIn(s, s.stof), 0, 'reach of reports not accepted is not counted');
});

t.test(
  'finance moved the grant on meanwhile; a conflict keeps finance out; the due date only while ahead',
  async (t) => {
    const smtp = await startSmtpServer(t);
    const h = await buildTestApp(t, { env: { ...mailEnv, SMTP_URL: smtp.url } });
    const s = await approvedApplication(h, 1_500_000, 'grund@example.dk');
    const { v, token } = s;
    await until(() => smtp.received.length >= 1);
    t.equal((await upload(h.app, v, token, pdf(), 'regnskab.pdf', 'report_accounts')).statusCode, 303);
    t.equal((await v.post(`/public/applications/${token}/report`, reportForm(s, '12'))).statusCode, 303);
    const reportId = String(
      (await h.database.rows<{ id: number }>(sql`select max(id)::int as id from application_reports`))[0]?.id,
    );
    const accept = `/grants/${s.grantId}/application-report/accept`;
    const more = `/grants/${s.grantId}/application-report/more`;

    // A finance user who declared a conflict of interest on the application decides nothing on its report.
    const conflicted = await h.as('finance', 101);
    await h.database.rows(
      sql`insert into application_conflicts (application_id, user_id, reason)
        values (${s.applicationId}, ${conflicted.user.id}, 'Min bror er kasserer')`,
    );
    const refusedAccept = await conflicted.postForm(accept, { reportId, version: '1', confirm: 'yes' });
    t.equal(refusedAccept.statusCode, 403, 'accepting is refused');
    t.match(refusedAccept.body, /<code>REVIEWER_CONFLICTED<\/code>/);
    const refusedMore = await conflicted.postForm(more, { reportId, version: '1', note: 'Mere, tak.' });
    t.equal(refusedMore.statusCode, 403, 'asking for more is refused');
    t.match(refusedMore.body, /<code>REVIEWER_CONFLICTED<\/code>/);
    const untouched = await h.database.rows<{ status: string }>(sql`select status from application_reports`);
    t.same(untouched, [{ status: 'submitted' }], 'the report still waits');

    // The due date has passed: the mail asks for the report again without a date already gone.
    await h.database.rows(sql`update grants set report_due_on = current_date - 30 where id = ${s.grantId}`);
    const asked = await s.finance.postForm(more, { reportId, version: '1', note: 'Send bilag.' });
    t.equal(asked.statusCode, 303, asked.body);
    await until(() => smtp.received.length >= 2);
    t.match(smtp.received[1]?.text ?? '', /Send afrapporteringen igen via linket:/);
    t.notMatch(smtp.received[1]?.text ?? '', /senest/, 'no date in the past');
    t.notMatch(smtp.received[1]?.html ?? '', /senest/);
    const fresh =
      /https:\/\/samspil\.test\/public\/applications\/([\w-]+)\/report/.exec(smtp.received[1]?.text ?? '')?.[1] ?? '';

    // The applicant sends again; finance meanwhile records the report, pays and accounts from the grant page.
    const again = await v.get(`/public/applications/${fresh}/report`);
    const previousId = /name="previousId" value="(\d+)"/.exec(again.body)?.[1] ?? '';
    const version = /name="version" value="(\d+)"/.exec(again.body)?.[1] ?? '';
    const second = await v.post(`/public/applications/${fresh}/report`, reportForm(s, '15', { previousId, version }));
    t.equal(second.statusCode, 303, second.body);
    const secondId = String(
      (await h.database.rows<{ id: number }>(sql`select max(id)::int as id from application_reports`))[0]?.id,
    );
    const g = (await s.finance.inject({ method: 'GET', url: `/api/v1/grants/${s.grantId}` })).json();
    const paid = await s.finance.inject({
      method: 'PATCH',
      url: `/api/v1/grants/${s.grantId}`,
      payload: { version: g.version, payments: [{ kind: 'payment', paidOn: danishDate(), amountOre: 1_500_000 }] },
    });
    t.equal(paid.statusCode, 200, paid.body);
    let grantVersion = paid.json().version as number;
    for (const to of ['paid', 'accounted'] as const) {
      const moved = await s.finance.inject({
        method: 'POST',
        url: `/api/v1/grants/${s.grantId}/transitions`,
        payload: { to, version: grantVersion },
      });
      t.equal(moved.statusCode, 200, `${to}: ${moved.body}`);
      grantVersion = moved.json().version as number;
    }
    const mails = smtp.received.length;
    const lateMore = await s.finance.postForm(more, { reportId: secondId, version: '1', note: 'Og mere.' });
    t.equal(lateMore.statusCode, 409, 'asking for more on an accounted grant is refused');
    t.match(lateMore.body, /<code>GRANT_NOT_REPORTABLE<\/code>/);
    const lateAccept = await s.finance.postForm(accept, { reportId: secondId, version: '1', confirm: 'yes' });
    t.equal(lateAccept.statusCode, 409, 'and accepting it too: the grant is accounted from its page');
    t.match(lateAccept.body, /<code>GRANT_NOT_REPORTABLE<\/code>/);
    const grant = await grantRow(h, s.grantId);
    t.equal(grant?.status, 'accounted');
    t.equal(grant?.received, danishDate(), 'the report stays received on the accounted grant');
    t.equal(grant?.version, grantVersion, 'the grant is not written');
    const reports = await h.database.rows<{ status: string }>(sql`select status from application_reports order by id`);
    t.same(
      reports.map((r) => r.status),
      ['more_requested', 'submitted'],
      'the report is not decided',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    t.equal(smtp.received.length, mails, 'and no mail went out');
  },
);

t.test('a report through the link for a grant withdrawn is refused; nothing is written', async (t) => {
  const h = shared;
  const w = await approvedApplication(h, 1_500_000, 'trukket@example.dk');
  t.equal((await upload(h.app, w.v, w.token, pdf(), 'regnskab.pdf', 'report_accounts')).statusCode, 303);
  await h.database.rows(sql`update grants set status = 'withdrawn' where id = ${w.grantId}`);
  const withdrawn = await w.v.post(`/public/applications/${w.token}/report`, reportForm(w, '3'));
  t.equal(withdrawn.statusCode, 409, 'a withdrawn grant takes no report');
  t.match(withdrawn.body, /<code>GRANT_NOT_REPORTABLE<\/code>/);
  t.equal((await grantRow(h, w.grantId))?.received, null, 'not received');
  const kept = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from application_reports where application_id = ${w.applicationId}`,
  );
  t.equal(kept[0]?.n, 0, 'no report stored');
});
