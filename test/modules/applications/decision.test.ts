import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { flashOf, followRedirect } from '../../flash.ts';
import { buildTestApp, lastId, readReferences, type TestApp } from '../../helper.ts';
import { startSmtpServer, until } from '../mail/smtp.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, the decision: finance or admin of the round's municipality approves or rejects a sent
 * application, with the meeting and the reasons. An approval becomes a grant of the round through
 * the grant flow (split over target groups, the budget guard, the override), all in one
 * transaction with the decision and its mail; the applicant gets the decision in their language
 * with a fresh link, whose page shows it.
 */
const mailEnv = { MAIL_SENDER: 'on', MAIL_POLL_MS: '50', MAIL_RETRY_BASE_MS: '20', PUBLIC_URL: 'https://samspil.test' };

/**
 * One app for the tests that need no mail sender. Each has its own round, and counts only rows of
 * its round or written after it began.
 */
const shared = await buildTestApp(t);

let sentCount = 0;

interface Sent {
  id: number;
  token: string;
  version: number;
}

/** An application sent through the public form (two target groups, 24.000,50 kr. applied for). */
async function sentApplication(
  h: TestApp,
  roundId: number,
  groups: [number, number],
  extra: Record<string, string | string[]> = {},
  headers: Record<string, string> = {},
): Promise<Sent> {
  const page = `/public/rounds/${roundId}/apply`;
  sentCount += 1;
  const v = await visitor(h.app, page, `198.51.100.${sentCount}`);
  const email = `ansoeger.${sentCount}@forening.dk`;
  const res = await v.post(
    page,
    associationForm(groups[0], {
      'targetGroups[1][targetGroupId]': String(groups[1]),
      'targetGroups[1][expectedParticipants]': '10',
      contactEmail: email,
      ...extra,
    }),
    headers,
  );
  if (res.statusCode !== 303) throw new Error(`not sent: ${res.statusCode} ${res.body.slice(0, 500)}`);
  const token = tokenFrom(res.headers.location);
  const [row] = await h.database.rows<{ id: number; version: number }>(
    sql`select id, version from applications where contact_email = ${email}`,
  );
  if (!row) throw new Error('no application');
  return { id: Number(row.id), token, version: Number(row.version) };
}

/** An actor of København matched to the application (as the inbox's confirm does). */
async function matchActor(h: TestApp, applicationId: number, name = 'Foreningen Fællesskab'): Promise<number> {
  const res = await h.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({ name: `${name} ${applicationId}` }),
  });
  if (res.statusCode !== 201) throw new Error(`no actor: ${res.statusCode} ${res.body}`);
  const actorId = res.json().id as number;
  await h.database.rows(sql`update applications set actor_id = ${actorId} where id = ${applicationId}`);
  return actorId;
}

const count = async (h: TestApp, query: ReturnType<typeof sql>) =>
  Number((await h.database.rows<{ n: number }>(query))[0]?.n ?? 0);

t.test('finance approves through the page: a grant the round counts, split, and the mail in English', async (t) => {
  // Its own app: this one sends mail, to the test's SMTP server.
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...mailEnv, SMTP_URL: smtp.url } });
  const roundId = await roundOf(h, 'Pulje for fællesskaber 2027');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const drugs = await ffbGroup(h, 'Stofmisbrug');
  const app = await sentApplication(h, roundId, [homeless, drugs], {}, { 'accept-language': 'en' });
  await until(() => smtp.received.length >= 1);
  t.match(smtp.received[0]?.subject ?? '', /receipt/i, 'the receipt went out in English');
  const actorId = await matchActor(h, app.id);
  const finance = await h.as('finance', 101);

  const page = await finance.inject({ method: 'GET', url: `/applications/${app.id}/decision` });
  t.equal(page.statusCode, 200, page.body.slice(0, 300));
  t.match(
    page.body,
    /name="awarded" type="text" value="24000,50"/,
    'the amount is prefilled with the amount applied for',
  );
  t.match(page.body, new RegExp(`name="lines\\[0\\]\\[targetGroupId\\]" value="${Math.min(homeless, drugs)}"`));
  t.match(page.body, /name="periodStart" type="date" value="2027-03-01"/, 'the period from the application');
  t.match(page.body, /href="\/applications\/\d+"/, 'it links back to the application page');

  const form = {
    version: String(app.version),
    decision: 'approve',
    meeting: 'Socialudvalget 12. marts 2027',
    reasons: 'Projektet rammer puljens prioriterede målgrupper.\nBudgettet er realistisk.',
    awarded: '20.000',
    'lines[0][targetGroupId]': String(homeless),
    'lines[0][amount]': '15.000',
    'lines[1][targetGroupId]': String(drugs),
    'lines[1][amount]': '5.000',
    periodStart: '2027-03-01',
    periodEnd: '2027-12-31',
  };
  const asked = await finance.postForm(`/applications/${app.id}/decision`, form);
  t.equal(asked.statusCode, 200, 'the decision is asked about first');
  t.match(asked.body, /Bevil 20\.000,00 kr\. til »Fællesspisning for hjemløse«\?/);
  t.match(asked.body, /på engelsk/, 'saying the mail goes out in English');
  t.match(asked.body, /name="confirm" value="yes"/);
  t.equal(await count(h, sql`select count(*) as n from grants`), 0, 'asking wrote nothing');
  t.equal(await count(h, sql`select count(*) as n from applications where status = 'submitted'`), 1);
  t.equal(await count(h, sql`select count(*) as n from mail_outbox`), 1, 'and queued no mail');

  // The confirmation page's own form, as the browser sends it.
  const hidden = Object.fromEntries(
    [...asked.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1] as string,
      (m[2] as string).replaceAll('&#10;', '\n').replaceAll('&amp;', '&'),
    ]),
  );
  t.equal(hidden.reasons, form.reasons, 'the reasons survive the confirm step, line breaks and all');
  const done = await finance.postForm(`/applications/${app.id}/decision`, hidden);
  t.equal(done.statusCode, 303, done.body.slice(0, 500));
  t.equal(done.headers.location, `/applications/${app.id}/decision`);

  const [decided] = await h.database.rows<Record<string, unknown>>(
    sql`select status, grant_id, decided_by, decided_at is not null as decided, decision_meeting, decision_reasons, version
        from applications where id = ${app.id}`,
  );
  t.match(decided, {
    status: 'approved',
    decided_by: finance.user.id,
    decided: true,
    decision_meeting: 'Socialudvalget 12. marts 2027',
    decision_reasons: form.reasons,
  });
  const grantId = Number(decided?.grant_id);
  const grant = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${grantId}` })).json();
  t.match(grant, {
    roundId,
    actorId,
    title: 'Fællesspisning for hjemløse',
    purpose: 'Vi laver mad sammen hver torsdag.',
    status: 'approved',
    requestedOre: 2_400_050,
    awardedOre: 2_000_000,
    periodStart: '2027-03-01',
    periodEnd: '2027-12-31',
    budgetOverride: false,
  });
  t.same(
    [...grant.allocations].sort((a: { amountOre: number }, b: { amountOre: number }) => b.amountOre - a.amountOre),
    [
      { targetGroupId: homeless, amountOre: 1_500_000 },
      { targetGroupId: drugs, amountOre: 500_000 },
    ],
    'split over the target groups as decided',
  );
  const round = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${roundId}` })).json();
  t.equal(grant.reportDueOn, `${round.year + 1}-06-01`, 'the report is due on the round’s default date');
  t.equal(round.awardedOre, '2000000', 'the round overview counts the award');
  t.equal(round.remainingOre, String(100_000_000 - 2_000_000), 'and the budget left');
  t.equal(
    round.byTargetGroup.find((g: { targetGroupId: number }) => g.targetGroupId === drugs)?.awardedOre,
    '500000',
    'per target group too',
  );
  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'application' and entity_id = ${String(app.id)} order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['application_submitted', 'application_approved'],
  );

  const shown = await followRedirect(finance, done);
  t.match(
    flashOf(shown.body),
    /Ansøgningen »Fællesspisning for hjemløse« er bevilget med 20\.000,00 kr\./,
    'the flash',
  );
  t.match(shown.body, new RegExp(`href="/grants/${grantId}"`), 'the decided page links to the grant');
  t.notMatch(shown.body, /name="decision"/, 'and is no longer a form');

  await until(() => smtp.received.length >= 2);
  const mail = smtp.received[1];
  t.equal(mail?.to && 'text' in mail.to ? mail.to.text : '', (await applicantEmail(h, app.id)) ?? '');
  t.equal(mail?.subject, 'Your application “Fællesspisning for hjemløse” has been approved', 'in English');
  t.match(mail?.text ?? '', /has awarded DKK 20,000\.00|has awarded 20,000\.00/, 'with the amount');
  t.match(mail?.text ?? '', /Socialudvalget 12\. marts 2027/);
  t.match(mail?.text ?? '', /Budgettet er realistisk\./, 'and the reasons');
  const link = /https:\/\/samspil\.test(\/public\/applications\/[\w-]+)/.exec(mail?.text ?? '')?.[1] as string;
  t.ok(link, 'with a link');
  t.not(link, `/public/applications/${app.token}`, 'a fresh one');
  t.equal(await count(h, sql`select count(*) as n from application_links where application_id = ${app.id}`), 2);
  const linkPage = await h.app.inject({ method: 'GET', url: link, headers: { 'accept-language': 'en' } });
  t.equal(linkPage.statusCode, 200);
  t.match(readReferences(linkPage.body), /The municipality’s decision/);
  t.match(linkPage.body, /The application has been approved with DKK 20,000\.00|approved with 20,000\.00/);
  t.match(linkPage.body, /Socialudvalget 12\. marts 2027/);
  t.match(linkPage.body, /Budgettet er realistisk\./);
  t.match(linkPage.body, /Approved \d\d\.\d\d\.\d{4}|Approved \d/, 'the status with the date');
  const oldLink = await h.app.inject({ method: 'GET', url: `/public/applications/${app.token}` });
  t.match(oldLink.body, /Kommunens afgørelse/, 'the receipt’s link shows it too');
});

async function applicantEmail(h: TestApp, id: number) {
  return (await h.database.rows<{ e: string }>(sql`select contact_email as e from applications where id = ${id}`))[0]
    ?.e;
}

t.test('the rules: actor, amount, budget and override, decided, stale, reject', async (t) => {
  const h = shared;
  const [auditBefore, mailsBefore] = [await lastId(h.database, 'audit_log'), await lastId(h.database, 'mail_outbox')];
  const roundId = await roundOf(h, 'Lille pulje');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const drugs = await ffbGroup(h, 'Stofmisbrug');
  const finance = await h.as('finance', 101);
  const approve = (version: number, extra: Record<string, unknown> = {}) => ({
    decision: 'approve',
    meeting: 'Socialudvalget 12. marts 2027',
    reasons: 'God ansøgning.',
    awardedOre: 2_000_000,
    allocations: [
      { targetGroupId: homeless, amountOre: 1_000_000 },
      { targetGroupId: drugs, amountOre: 1_000_000 },
    ],
    version,
    ...extra,
  });
  const decide = (id: number, payload: Record<string, unknown>) =>
    finance.inject({ method: 'POST', url: `/api/v1/applications/${id}/decision`, payload });
  const written = async () => ({
    grants: await count(h, sql`select count(*) as n from grants`),
    mails: await count(h, sql`select count(*) as n from mail_outbox`),
    links: await count(h, sql`select count(*) as n from application_links`),
    decided: await count(h, sql`select count(*) as n from applications where decided_at is not null`),
  });

  const first = await sentApplication(h, roundId, [homeless, drugs]);
  const before = await written();
  const noActor = await decide(first.id, approve(first.version));
  t.equal(noActor.statusCode, 409);
  t.equal(noActor.json().code, 'APPLICATION_ACTOR_REQUIRED');
  t.match(noActor.json().message, /Bekræft aktøren på ansøgningens side først/, 'a Danish message saying what to do');
  t.same(await written(), before, 'nothing written');
  await matchActor(h, first.id);

  const tooMuch = await decide(first.id, approve(first.version, { awardedOre: 2_400_051 }));
  t.equal(tooMuch.statusCode, 400, 'more than applied for');
  t.match(tooMuch.json().fieldErrors?.awardedOre?.[0], /højst være det ansøgte, 24\.000,50 kr\./);
  const mismatch = await decide(
    first.id,
    approve(first.version, { allocations: [{ targetGroupId: homeless, amountOre: 1_000_000 }] }),
  );
  t.equal(mismatch.statusCode, 400);
  t.equal(mismatch.json().code, 'ALLOCATION_MISMATCH', 'the split must add up, as the award form requires');
  const noReasons = await decide(first.id, approve(first.version, { reasons: '  ' }));
  t.equal(noReasons.statusCode, 400, 'the reasons are required');

  // The round's budget is made smaller than the award.
  const r = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${roundId}` })).json();
  const small = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${roundId}`,
    payload: { version: r.version, budgetOre: 1_500_000 },
  });
  t.equal(small.statusCode, 200, small.body);
  const over = await decide(first.id, approve(first.version));
  t.equal(over.statusCode, 409);
  t.equal(over.json().code, 'GRANT_OVER_BUDGET', 'over the round’s budget is refused');
  t.same(await written(), before, 'and nothing is written: no grant, no decision, no mail, no link');
  t.equal(
    await count(h, sql`select count(*) as n from audit_log where entity = 'grant' and id > ${auditBefore}`),
    0,
    'nor audited',
  );

  const overridden = await decide(first.id, approve(first.version, { overrideBudget: true }));
  t.equal(overridden.statusCode, 200, overridden.body);
  t.match(overridden.json(), { id: first.id, status: 'approved', awardedOre: 2_000_000, version: first.version + 1 });
  const grantId = overridden.json().grantId as number;
  const grant = (await finance.inject({ method: 'GET', url: `/api/v1/grants/${grantId}` })).json();
  t.equal(grant.budgetOverride, true, 'the override is on the grant');
  t.equal(
    await count(
      h,
      sql`select count(*) as n from audit_log
          where entity = 'grant' and action = 'approve_over_budget' and id > ${auditBefore}`,
    ),
    1,
    'and audited as the award form audits it',
  );
  t.equal(
    await count(
      h,
      sql`select count(*) as n from mail_outbox where kind = 'application-approved' and id > ${mailsBefore}`,
    ),
    1,
    'the mail is queued with the decision',
  );

  const again = await decide(first.id, approve(first.version + 1, { overrideBudget: true }));
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'APPLICATION_ALREADY_DECIDED');
  const rejectDecided = await decide(first.id, { decision: 'reject', meeting: 'M', reasons: 'R', version: 2 });
  t.equal(rejectDecided.json().code, 'APPLICATION_ALREADY_DECIDED', 'a decided one is not decided again');

  const second = await sentApplication(h, roundId, [homeless, drugs]);
  const stale = await decide(second.id, {
    decision: 'reject',
    meeting: 'Socialudvalget 12. marts 2027',
    reasons: 'Puljen er brugt.',
    version: second.version + 1,
  });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'STALE_VERSION');
  // Under review (the review's status) is still to be decided.
  await h.database.rows(sql`update applications set status = 'under_review' where id = ${second.id}`);
  const rejected = await decide(second.id, {
    decision: 'reject',
    meeting: 'Socialudvalget 12. marts 2027',
    reasons: 'Puljen er brugt.',
    version: second.version,
  });
  t.equal(rejected.statusCode, 200, rejected.body);
  t.match(rejected.json(), {
    status: 'rejected',
    grantId: null,
    awardedOre: null,
    decisionReasons: 'Puljen er brugt.',
  });
  const [mail] = await h.database.rows<{ subject: string; text_body: string }>(
    sql`select subject, text_body from mail_outbox where kind = 'application-rejected' and id > ${mailsBefore}`,
  );
  t.equal(mail?.subject, 'Afgørelse på din ansøgning »Fællesspisning for hjemløse«', 'in Danish');
  t.match(mail?.text_body ?? '', /Puljen er brugt\./);
  t.equal(
    await count(
      h,
      sql`select count(*) as n from audit_log
          where entity = 'application' and action = 'application_rejected' and id > ${auditBefore}`,
    ),
    1,
  );

  // A decided round takes no award, as the grant's award form says; a rejection is still recorded.
  const third = await sentApplication(h, roundId, [homeless, drugs]);
  await matchActor(h, third.id);
  await h.database.rows(sql`update grant_rounds set status = 'decided' where id = ${roundId}`);
  const roundDecided = await decide(third.id, approve(third.version, { overrideBudget: true }));
  t.equal(roundDecided.statusCode, 409);
  t.equal(roundDecided.json().code, 'ROUND_DECIDED');
  t.equal(
    await count(h, sql`select count(*) as n from applications where id = ${third.id} and status = 'submitted'`),
    1,
  );
  await h.database.rows(sql`update grant_rounds set status = 'open' where id = ${roundId}`);

  const draft = await visitor(h.app, `/public/rounds/${roundId}/apply`, '198.51.100.250');
  await draft.post(`/public/rounds/${roundId}/apply`, { contactEmail: 'kladde@example.dk', intent: 'draft' });
  const [draftRow] = await h.database.rows<{ id: number }>(
    sql`select id from applications where status = 'draft' and round_id = ${roundId}`,
  );
  // A draft is the applicant's alone: to staff it does not exist, neither its page nor its decision.
  const notSent = await decide(Number(draftRow?.id), { decision: 'reject', meeting: 'M', reasons: 'R', version: 1 });
  t.equal(notSent.statusCode, 404, 'a draft cannot be decided: no such application');
  const draftPage = await finance.inject({ method: 'GET', url: `/applications/${draftRow?.id}/decision` });
  t.equal(draftPage.statusCode, 404, 'nor has it a decision page');
  t.notMatch(draftPage.body, /kladde@example\.dk/);
  const draftForm = await finance.postForm(`/applications/${draftRow?.id}/decision`, {
    version: '1',
    decision: 'reject',
    meeting: 'M',
    reasons: 'R',
    confirm: 'yes',
  });
  t.equal(draftForm.statusCode, 404, 'nor takes the form');
  t.equal(
    await count(h, sql`select count(*) as n from applications where status = 'draft' and round_id = ${roundId}`),
    1,
    'still a draft',
  );
});

t.test('who decides: finance and admin of the municipality; others 403; other municipalities 404', async (t) => {
  const h = shared;
  const roundId = await roundOf(h, 'Pulje med adgang');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const drugs = await ffbGroup(h, 'Stofmisbrug');
  const app = await sentApplication(h, roundId, [homeless, drugs]);
  const reject = { decision: 'reject', meeting: 'Socialudvalget', reasons: 'Nej.', version: app.version };
  for (const role of ['coordinator', 'viewer'] as const) {
    const c = await h.as(role, 101);
    t.equal((await c.inject({ method: 'GET', url: `/applications/${app.id}/decision` })).statusCode, 403, role);
    t.equal(
      (await c.postForm(`/applications/${app.id}/decision`, { ...reject, version: String(app.version) })).statusCode,
      403,
    );
    const api = await c.inject({ method: 'POST', url: `/api/v1/applications/${app.id}/decision`, payload: reject });
    t.equal(api.statusCode, 403, `${role} by the API`);
  }
  for (const role of ['finance', 'admin'] as const) {
    const c = await h.as(role, 751);
    const page = await c.inject({ method: 'GET', url: `/applications/${app.id}/decision` });
    t.equal(page.statusCode, 404, `${role} of Aarhus: no such page`);
    t.notMatch(page.body, /Fællesspisning/);
    const api = await c.inject({ method: 'POST', url: `/api/v1/applications/${app.id}/decision`, payload: reject });
    t.equal(api.statusCode, 404);
  }
  const anonymous = await h.anonymous({ method: 'GET', url: `/applications/${app.id}/decision` });
  t.not(anonymous.statusCode, 200, 'signed out: to the login');
  t.equal(
    await count(h, sql`select count(*) as n from applications where decided_at is not null and round_id = ${roundId}`),
    0,
    'none decided',
  );

  const admin = await h.inject({ method: 'GET', url: `/applications/${app.id}/decision` });
  t.equal(admin.statusCode, 200, 'the admin of København may');
  const bad = await h.postForm(`/applications/${app.id}/decision`, {
    version: String(app.version),
    decision: 'reject',
  });
  t.equal(bad.statusCode, 422, 'a form without meeting and reasons is shown again');
  t.match(bad.body, /id="error-summary"/);
  t.match(bad.body, /Skriv begrundelsen for afgørelsen/);
  t.match(bad.body, /Skriv, hvilket møde der traf afgørelsen/);
  const noChoice = await h.postForm(`/applications/${app.id}/decision`, {
    version: String(app.version),
    meeting: 'M',
    reasons: 'R',
  });
  t.equal(noChoice.statusCode, 422);
  t.match(noChoice.body, /Vælg, om ansøgningen bevilges eller afslås/);
  const noActor = await h.postForm(`/applications/${app.id}/decision`, {
    version: String(app.version),
    decision: 'approve',
    meeting: 'M',
    reasons: 'R',
    awarded: '100',
    'lines[0][targetGroupId]': String(homeless),
    'lines[0][amount]': '100',
  });
  t.equal(noActor.statusCode, 409, 'approving without a matched actor is refused on the page too');
  t.match(noActor.body, /Bekræft aktøren på ansøgningens side først/);
});

t.test('a finance user who declared a conflict of interest on the application cannot decide it', async (t) => {
  const h = shared;
  const roundId = await roundOf(h, 'Pulje med inhabilitet');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const drugs = await ffbGroup(h, 'Stofmisbrug');
  const app = await sentApplication(h, roundId, [homeless, drugs]);
  const conflicted = await h.as('finance', 101);
  const declared = await conflicted.postForm(`/applications/${app.id}/review/conflict`, {
    reason: 'Jeg sidder i foreningens bestyrelse.',
    confirm: 'yes',
  });
  t.equal(declared.statusCode, 303, 'the conflict is declared');
  const page = await conflicted.inject({ method: 'GET', url: `/applications/${app.id}/decision` });
  t.equal(page.statusCode, 403, 'the decision page is closed to them');
  const reject = { decision: 'reject', meeting: 'Socialudvalget', reasons: 'Nej.', version: app.version };
  const api = await conflicted.inject({
    method: 'POST',
    url: `/api/v1/applications/${app.id}/decision`,
    payload: reject,
  });
  t.equal(api.statusCode, 403);
  t.equal(api.json().code, 'REVIEWER_CONFLICTED');
  t.equal(
    await count(h, sql`select count(*) as n from applications where decided_at is not null and round_id = ${roundId}`),
    0,
    'nothing decided',
  );
  const other = await h.as('finance', 101);
  const decided = await other.inject({
    method: 'POST',
    url: `/api/v1/applications/${app.id}/decision`,
    payload: reject,
  });
  t.equal(decided.statusCode, 200, 'another finance user of the municipality decides');
});
