import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, type TestApp } from '../../helper.ts';
import { startSmtpServer, until } from '../mail/smtp.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, type Visitor, visitor } from './fixture.ts';

/**
 * Issue 21, questions: staff of the round's municipality ask the applicant a question; the mail
 * with a fresh link arrives at a real SMTP server in the applicant's language; the applicant answers
 * through the link, once; staff see the answer. Other municipalities and other links get 404.
 */
const mailEnv = { MAIL_SENDER: 'on', MAIL_POLL_MS: '50', MAIL_RETRY_BASE_MS: '20', PUBLIC_URL: 'https://samspil.test' };
const LINK = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/;

/**
 * One app for the tests that need no mail sender and no other limit. Each has its own round and
 * applications, and counts only its own application's questions, or those added by its own action;
 * their few forms stay far below the limits.
 */
const shared = await buildTestApp(t);

/** A sent application through the public form: its id, its first link's token and the visitor. */
async function sentApplication(h: TestApp, roundId: number, extra: Record<string, string> = {}, lang = 'da') {
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  const res = await v.post(page, associationForm(groupId, extra), { 'accept-language': lang });
  if (res.statusCode !== 303) throw new Error(`not sent: ${res.statusCode}`);
  const token = tokenFrom(res.headers.location);
  const [row] = await h.database.rows<{ id: number }>(sql`select max(id)::int as id from applications`);
  return { id: Number(row?.id), token, v };
}

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

/** Posts an answer as a browser on the link page would: the page's CSRF token and the question's version. */
async function answer(v: Visitor, token: string, questionId: number, text: string, version?: string) {
  const page = await v.get(`/public/applications/${token}`);
  const shown = new RegExp(
    `/questions/${questionId}">\\s*<input type="hidden" name="_csrf" value="[^"]+">\\s*<input type="hidden" name="version" value="(\\d+)"`,
  ).exec(page.body);
  return v.post(`/public/applications/${token}/questions/${questionId}`, {
    _csrf: csrfOf(page.body) || v.csrf,
    version: version ?? shown?.[1] ?? '1',
    answer: text,
  });
}

t.test('a question is mailed with a fresh link, answered through it once, and staff see the answer', async (t) => {
  // Its own app, here and in the next test: this one sends mail, to the test's SMTP server.
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...mailEnv, SMTP_URL: smtp.url } });
  const roundId = await roundOf(h, 'Pulje for spørgsmål');
  const { id, token, v } = await sentApplication(h, roundId);
  await until(() => smtp.received.length >= 1);
  const coordinator = await h.as('coordinator', 101);

  const empty = await coordinator.postForm(`/applications/${id}/questions`, { body: '  ' });
  t.equal(empty.statusCode, 422, 'an empty question is refused');
  t.match(empty.body, /field-body-error/);

  const asked = await coordinator.postForm(`/applications/${id}/questions`, {
    body: 'Hvor mange frivillige er med i køkkenet?',
  });
  t.equal(asked.statusCode, 303);
  const [question] = await h.database.rows<{ id: number; asked_by: number; version: number }>(
    sql`select id, asked_by, version from application_questions where application_id = ${id}`,
  );
  t.equal(question?.asked_by, coordinator.user.id, 'who asked is stored');
  const questionId = Number(question?.id);
  t.equal(asked.headers.location, `/applications/${id}/questions#question-${questionId}`);

  await until(() => smtp.received.length >= 2);
  const mail = smtp.received[1];
  t.equal(mail?.to && 'text' in mail.to ? mail.to.text : '', 'kirsten@forening.dk');
  t.match(mail?.subject ?? '', /^Spørgsmål fra København om din ansøgning/, 'in Danish, as the applicant wrote');
  t.notMatch(mail?.text ?? '', /frivillige er med i køkkenet/, 'the question itself is not in the mail');
  const link = LINK.exec(mail?.text ?? '')?.[1] as string;
  t.ok(link, 'the mail holds a link');
  t.not(link, `/public/applications/${token}`, 'a fresh link, not the first one');
  const links = await h.database.rows<{ token_hash: string }>(
    sql`select token_hash from application_links where application_id = ${id}`,
  );
  t.equal(links.length, 2, 'a second link row');
  t.notOk(
    links.some((l) => l.token_hash.includes(link.split('/').pop() as string)),
    'only its hash is stored',
  );

  const freshToken = link.split('/').pop() as string;
  const shown = await v.get(link);
  t.equal(shown.statusCode, 200, 'the fresh link works');
  t.match(shown.body, /Spørgsmål fra kommunen/);
  t.match(shown.body, /Hvor mange frivillige er med i køkkenet\?/, 'the open question');
  t.match(
    shown.body,
    new RegExp(`action="/public/applications/${freshToken}/questions/${questionId}"`),
    'an answer form',
  );

  const answerPage = await v.get(`/public/applications/${freshToken}/questions/${questionId}`);
  t.equal(answerPage.statusCode, 200, 'the answer form has its own page');
  const blank = await answer(v, freshToken, questionId, '');
  t.equal(blank.statusCode, 422, 'an empty answer is refused');
  const stale = await answer(v, freshToken, questionId, 'Otte', '7');
  t.equal(stale.statusCode, 409, 'a stale version is refused');
  t.match(stale.body, /STALE_VERSION|ændret/);

  const answered = await answer(v, freshToken, questionId, 'Vi er otte frivillige.');
  t.equal(answered.statusCode, 303);
  t.equal(answered.headers.location, `/public/applications/${freshToken}#questions`);
  const again = await v.post(`/public/applications/${freshToken}/questions/${questionId}`, {
    _csrf: v.csrf,
    version: '2',
    answer: 'Nej, ni.',
  });
  t.equal(again.statusCode, 409, 'an answer once given is not changed');
  const coded = await h.app.inject({
    method: 'POST',
    url: `/public/applications/${freshToken}/questions/${questionId}`,
    headers: { cookie: v.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(v.csrf)}&version=2&answer=Ni`,
    remoteAddress: '203.0.113.7',
  });
  t.equal(coded.statusCode, 409);
  t.match(coded.body, /<code>QUESTION_ANSWERED<\/code>/, 'coded');

  const [stored] = await h.database.rows<{ answer: string; answered: boolean }>(
    sql`select answer, answered_at is not null as answered from application_questions where id = ${questionId}`,
  );
  t.same(stored, { answer: 'Vi er otte frivillige.', answered: true }, 'the first answer stands');

  const oldLink = await v.get(`/public/applications/${token}`);
  t.equal(oldLink.statusCode, 200, 'the first link still works');
  t.match(oldLink.body, /Dit svar, sendt/, 'and shows the answer');
  t.notMatch(oldLink.body, new RegExp(`/questions/${questionId}"`), 'with no form for it');

  const staff = await (await h.as('viewer', 101)).inject({ method: 'GET', url: `/applications/${id}/questions` });
  t.equal(staff.statusCode, 200, 'a viewer reads the conversation');
  t.match(staff.body, /Vi er otte frivillige\./, 'staff see the answer');
  t.notMatch(staff.body, /name="body"/, 'a viewer gets no form to ask');

  const audit = await h.database.rows<{
    action: string;
    user_id: number | null;
    municipality_code: number;
    after: unknown;
  }>(
    sql`select action, user_id, municipality_code, after from audit_log
        where entity = 'application_question' order by id`,
  );
  t.match(audit, [
    { action: 'application_question_asked', user_id: coordinator.user.id, municipality_code: 101 },
    { action: 'application_question_answered', user_id: null, municipality_code: 101 },
  ]);
  t.notMatch(JSON.stringify(audit), /frivillige/, 'no bodies in the audit trail');
});

t.test('the mail goes in the language the applicant wrote in', async (t) => {
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...mailEnv, SMTP_URL: smtp.url } });
  const roundId = await roundOf(h, 'Pulje på engelsk');
  const { id } = await sentApplication(h, roundId, {}, 'en');
  await until(() => smtp.received.length >= 1);
  const res = await (await h.as('finance', 101)).postForm(`/applications/${id}/questions`, { body: 'How many?' });
  t.equal(res.statusCode, 303, 'finance asks');
  await until(() => smtp.received.length >= 2);
  t.match(smtp.received[1]?.subject ?? '', /^A question from København about your application/);
});

t.test('who may ask and read: roles, municipalities, statuses, links', async (t) => {
  const h = shared;
  const roundId = await roundOf(h, 'Pulje for adgang');
  const { id, token, v } = await sentApplication(h, roundId);
  const other = await sentApplication(h, roundId, { contactEmail: 'anden@forening.dk' });
  const count = async () =>
    Number((await h.database.rows<{ n: number }>(sql`select count(*)::int as n from application_questions`))[0]?.n);

  for (const role of ['admin', 'coordinator', 'finance'] as const) {
    const c = await h.as(role, 101);
    t.equal((await c.inject({ method: 'GET', url: `/applications/${id}/questions` })).statusCode, 200, `${role} reads`);
    const before = await count();
    const res = await c.postForm(`/applications/${id}/questions`, { body: `Spørgsmål fra ${role}` });
    t.equal(res.statusCode, 303, `${role} of the round's municipality asks`);
    t.equal(await count(), before + 1);
  }
  const viewer = await h.as('viewer', 101);
  t.equal((await viewer.inject({ method: 'GET', url: `/applications/${id}/questions` })).statusCode, 200);
  const before = await count();
  t.equal(
    (await viewer.postForm(`/applications/${id}/questions`, { body: 'Må jeg?' })).statusCode,
    403,
    'a viewer may not ask',
  );
  for (const role of ['admin', 'coordinator', 'finance', 'viewer'] as const) {
    const foreign = await h.as(role, 751);
    const page = await foreign.inject({ method: 'GET', url: `/applications/${id}/questions` });
    t.equal(page.statusCode, 404, `${role} of another municipality: 404`);
    t.notMatch(page.body, /Foreningen Fællesskab/);
    t.equal((await foreign.postForm(`/applications/${id}/questions`, { body: 'Hej' })).statusCode, 404);
  }
  const signedOut = await h.anonymous({ method: 'GET', url: `/applications/${id}/questions` });
  t.equal(signedOut.statusCode, 303, 'signed out: sent to sign in');
  t.match(String(signedOut.headers.location), /^\/login/);
  t.equal((await h.inject({ method: 'GET', url: '/applications/999999/questions' })).statusCode, 404);
  t.equal(await count(), before, 'nothing was written by those refused');

  const [q] = await h.database.rows<{ id: number }>(
    sql`select min(id)::int as id from application_questions where application_id = ${id}`,
  );
  const questionId = Number(q?.id);
  const foreignLink = await v.post(`/public/applications/${other.token}/questions/${questionId}`, {
    version: '1',
    answer: 'Fra en anden ansøgning',
  });
  t.equal(foreignLink.statusCode, 404, "another application's link: 404");
  t.equal(
    (await v.get(`/public/applications/${other.token}/questions/${questionId}`)).statusCode,
    404,
    'also for the page',
  );
  const forged = await v.post(`/public/applications/${'x'.repeat(43)}/questions/${questionId}`, {
    version: '1',
    answer: 'Forfalsket',
  });
  t.equal(forged.statusCode, 404, 'a forged link: 404');
  const noCsrf = await h.app.inject({
    method: 'POST',
    url: `/public/applications/${token}/questions/${questionId}`,
    headers: { cookie: v.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'version=1&answer=Uden',
    remoteAddress: '203.0.113.7',
  });
  t.equal(noCsrf.statusCode, 403, 'without the CSRF token: refused');
  const [untouched] = await h.database.rows<{ answered: boolean }>(
    sql`select answered_at is not null as answered from application_questions where id = ${questionId}`,
  );
  t.equal(untouched?.answered, false, 'nothing answered');

  // Only a sent, undecided application takes questions.
  const draft = await v.post(`/public/rounds/${roundId}/apply`, { contactEmail: 'kladde@example.dk', intent: 'draft' });
  t.equal(draft.statusCode, 303);
  const [d] = await h.database.rows<{ id: number }>(sql`select max(id)::int as id from applications`);
  const coordinator = await h.as('coordinator', 101);
  const refused = await coordinator.inject({
    method: 'POST',
    url: `/applications/${d?.id}/questions`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(coordinator.csrf)}&body=Hej`,
  });
  t.equal(refused.statusCode, 404, 'a draft is the applicant’s alone: no questions to it');
  const draftPage = await coordinator.inject({ method: 'GET', url: `/applications/${d?.id}/questions` });
  t.equal(draftPage.statusCode, 404, 'nor a questions page showing it');
  t.notMatch(draftPage.body, /kladde@example\.dk/);
  for (const status of ['approved', 'rejected'] as const) {
    await h.database.rows(
      sql`update applications set status = ${status}, decided_at = now(), decided_by = ${coordinator.user.id}
          where id = ${other.id}`,
    );
    const res = await coordinator.postForm(`/applications/${other.id}/questions`, { body: 'For sent' });
    t.equal(res.statusCode, 409, `a ${status} application takes no questions`);
  }
  const under = await h.database.rows(
    sql`update applications set status = 'under_review', decided_at = null, decided_by = null where id = ${other.id} returning id`,
  );
  t.equal(under.length, 1);
  t.equal(
    (await coordinator.postForm(`/applications/${other.id}/questions`, { body: 'Under behandling' })).statusCode,
    303,
    'one under review does',
  );
});

t.test('answers are rate-limited per address', async (t) => {
  // Its own app: a limit of two per address.
  const h = await buildTestApp(t, { env: { APPLICATION_LIMIT_PER_IP: '2' } });
  const roundId = await roundOf(h, 'Pulje med grænse');
  const { id, token, v } = await sentApplication(h, roundId);
  const coordinator = await h.as('coordinator', 101);
  await coordinator.postForm(`/applications/${id}/questions`, { body: 'Første' });
  const [q] = await h.database.rows<{ id: number }>(sql`select id from application_questions`);
  const questionId = Number(q?.id);
  t.equal((await answer(v, token, questionId, 'Svar')).statusCode, 303);
  t.equal((await answer(v, token, questionId, 'Igen', '2')).statusCode, 409);
  t.equal((await answer(v, token, questionId, 'Og igen', '2')).statusCode, 429, 'the third attempt in the hour: 429');
});

t.test('whoever declared a conflict of interest does not ask the applicant', async (t) => {
  const h = shared;
  const roundId = await roundOf(h, 'Pulje med inhabilitet');
  const { id } = await sentApplication(h, roundId);
  const finance = await h.as('finance', 101);
  const declared = await finance.postForm(`/applications/${id}/review/conflict`, {
    reason: 'Jeg sidder i foreningens bestyrelse.',
    confirm: 'yes',
  });
  t.equal(declared.statusCode, 303, 'the conflict is declared');
  const page = await finance.inject({ method: 'GET', url: `/applications/${id}/questions` });
  t.equal(page.statusCode, 200, 'they may still read the conversation');
  t.notMatch(page.body, new RegExp(`action="/applications/${id}/questions"`), 'but get no form to ask with');
  const asked = await finance.postForm(`/applications/${id}/questions`, { body: 'Må jeg spørge?' });
  t.equal(asked.statusCode, 403, 'asking is refused');
  t.match(asked.body, /<code>REVIEWER_CONFLICTED<\/code>/, 'coded');
  const empty = await finance.postForm(`/applications/${id}/questions`, { body: '' });
  t.equal(empty.statusCode, 403, 'before the form is read');
  const count = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from application_questions where application_id = ${id}`,
  );
  t.equal(count[0]?.n, 0, 'nothing asked');
  const other = await h.as('finance', 101);
  t.equal((await other.postForm(`/applications/${id}/questions`, { body: 'Et spørgsmål' })).statusCode, 303);
});
