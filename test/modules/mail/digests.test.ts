import { sql } from 'drizzle-orm';
import type { ParsedMail } from 'mailparser';
import t, { type Test } from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp, type Client, type TestApp } from '../../helper.ts';
import { startSmtpServer, until } from './smtp.ts';

/**
 * Reminder digests (issue 20, points 1–3) against a real SMTP server: what the follow-up rules say
 * is due, one mail per user and day at the municipality's time, daily or weekly (Mondays) or off,
 * and one-click unsubscribe (RFC 8058). The clock is the `now` given to runDigests; the timer of the
 * app is set to an hour so that it never runs during a test.
 */
const env = {
  MAIL_SENDER: 'on',
  MAIL_POLL_MS: '50',
  MAIL_RETRY_BASE_MS: '20',
  MAIL_DIGEST_POLL_MS: '3600000',
  PUBLIC_URL: 'https://samspil.test',
};

async function setup(t: Test) {
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...env, SMTP_URL: smtp.url } });
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  return { smtp, h, groupId: groups[0]?.id ?? 0 };
}

async function actorOf(client: Client, name: string, municipalityCode = 101) {
  const res = await client.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({
      name,
      contacts: [],
      homeMunicipalityCode: municipalityCode,
      municipalityCodes: [municipalityCode],
    }),
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().id as number;
}

async function awardedGrant(
  finance: Client,
  actorId: number,
  groupId: number,
  reportDueOn: string,
  title: string,
  caseHandlerId?: number,
) {
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: `Pulje til ${title}`, budgetOre: 10_000_000 },
    })
  ).json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId: round.id, actorId, title, requestedOre: 100_000, caseHandlerId },
    })
  ).json();
  const approved = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groupId },
  });
  const patched = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grant.id}`,
    payload: { version: approved.json().version, reportDueOn },
  });
  if (patched.statusCode !== 200) throw new Error(patched.body);
  return grant.id as number;
}

async function agreement(client: Client, actorId: number, body: Record<string, unknown>) {
  const res = await client.inject({
    method: 'POST',
    url: '/api/v1/agreements',
    payload: { kind: 'formal', actorIds: [actorId], status: 'active', ...body },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().id as number;
}

const to = (mail: ParsedMail) => (mail.to && 'text' in mail.to ? mail.to.text : '');
const header = (mail: ParsedMail, name: string) =>
  mail.headerLines.find((l) => l.key === name)?.line.replace(/^[^:]+:\s*/, '');
const mailsTo = (smtp: { received: ParsedMail[] }, email: string) => smtp.received.filter((m) => to(m) === email);
const outboxCount = async (h: TestApp) =>
  Number((await h.database.rows<{ n: number }>(sql`select count(*)::int as n from mail_outbox`))[0]?.n);

/** 07:30 in Denmark on a winter date (UTC+1) and on a summer date (UTC+2). */
const winter = (date: string, time = '06:30') => new Date(`${date}T${time}:00Z`);
const summer = (date: string, time = '05:30') => new Date(`${date}T${time}:00Z`);

t.test('a daily digest: to whom, what, in Danish, with links and unsubscribe headers, once a day', async (t) => {
  const { smtp, h, groupId } = await setup(t);
  const digests = h.app.services.digests;
  const finance = await h.as('finance', 101);
  const quiet = await h.as('finance', 101);
  const coordinator = await h.as('coordinator', 101);
  const viewer = await h.as('viewer', 101);
  const aarhus = await h.as('finance', 751);
  const actor = await actorOf(coordinator, 'Café Klare');
  const dueInAWeek = await awardedGrant(finance, actor, groupId, '2026-03-31', 'Rapport om en uge');
  const lateTwoWeeks = await awardedGrant(finance, actor, groupId, '2026-03-10', 'Rapport to uger for sent');
  await awardedGrant(finance, actor, groupId, '2026-03-11', 'Rapport 13 dage for sent');
  await awardedGrant(finance, actor, groupId, '2026-03-30', 'Rapport om seks dage');
  await awardedGrant(
    aarhus,
    await actorOf(await h.as('coordinator', 751), 'Aarhus-foreningen', 751),
    groupId,
    '2026-03-31',
    'Aarhus-rapport',
  );
  const ending = await agreement(coordinator, actor, {
    title: 'Aftale der udløber',
    startsOn: '2026-01-01',
    endsOn: '2026-05-01',
    coordinatorUserId: coordinator.user.id,
  });
  await agreement(coordinator, actor, { title: 'Aftale langt ude', startsOn: '2026-01-01', endsOn: '2026-12-31' });

  // The quiet user turns both kinds off on the account page.
  const account = await quiet.inject({ method: 'GET', url: '/account' });
  t.match(account.body, /Påmindelser på mail/);
  const saved = await quiet.postForm('/account/digest', { grants: 'off', agreements: 'off', version: '0' });
  t.equal(saved.statusCode, 303);
  const stale = await quiet.postForm('/account/digest', { grants: 'daily', agreements: 'off', version: '0' });
  t.equal(stale.statusCode, 409, 'a stale version is refused');

  t.same(await digests.runDigests(winter('2026-03-24', '05:59')), { municipalities: 0, mails: 0 }, 'not before 07:00');
  const run = await digests.runDigests(winter('2026-03-24'));
  t.equal(run.mails, 3, 'finance and coordinator in København, finance in Aarhus');
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= 3);

  const [mail, ...more] = mailsTo(smtp, finance.user.email);
  t.equal(more.length, 0, 'one mail to the finance user');
  t.equal(mail?.subject, 'Påmindelser fra Samspil – København');
  const text = mail?.text ?? '';
  t.match(text, /Her er det, der skal følges op på i København pr\. 24\.03\.2026\./);
  t.match(text, /Rapport om en uge \(Café Klare\): afrapportering senest 31\.03\.2026/, '7 days before');
  t.match(text, `https://samspil.test/grants/${dueInAWeek}`);
  t.match(
    text,
    /Rapport to uger for sent \(Café Klare\): afrapporteringen skulle være kommet 10\.03\.2026/,
    'weekly late',
  );
  t.match(text, `https://samspil.test/grants/${lateTwoWeeks}`);
  t.notMatch(text, /13 dage for sent/, 'not on a day between the weekly reminders');
  t.notMatch(text, /seks dage/, 'not six days before');
  t.notMatch(text, /Aarhus/, "nothing of another municipality's");
  t.notMatch(text, /Aftale/, 'agreements are the coordinator’s');
  t.match(mail?.html, /<a href="https:\/\/samspil\.test\/grants\/\d+"/);
  const unsubscribe = header(mail as ParsedMail, 'list-unsubscribe');
  t.match(unsubscribe, /^<https:\/\/samspil\.test\/mail\/unsubscribe\?user=\d+&token=[\w-]+>$/);
  t.equal(header(mail as ParsedMail, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');

  const [coordinatorMail] = mailsTo(smtp, coordinator.user.email);
  t.match(coordinatorMail?.text, /Aftale der udløber: udløber 01\.05\.2026\./);
  t.match(coordinatorMail?.text, `https://samspil.test/agreements/${ending}`);
  t.notMatch(coordinatorMail?.text, /langt ude|Rapport/);

  const [aarhusMail] = mailsTo(smtp, aarhus.user.email);
  t.equal(aarhusMail?.subject, 'Påmindelser fra Samspil – Aarhus');
  t.match(aarhusMail?.text, /Aarhus-rapport/);
  t.notMatch(aarhusMail?.text, /Café Klare/);
  t.same(mailsTo(smtp, quiet.user.email), [], 'nothing for a user who turned it off');
  t.same(mailsTo(smtp, viewer.user.email), [], 'nothing for a user with nothing due');

  const before = await outboxCount(h);
  t.same(await digests.runDigests(winter('2026-03-24', '10:00')), { municipalities: 0, mails: 0 }, 'not twice a day');
  t.equal(await outboxCount(h), before);
  const audit = await h.database.rows<{ entity: string; action: string }>(
    sql`select entity, action from audit_log where entity in ('digest_preferences', 'digest_run') order by id`,
  );
  t.same(
    audit.map((a) => `${a.entity}:${a.action}`),
    ['digest_preferences:update', 'digest_run:digest_sent', 'digest_run:digest_sent'],
    'the choice and the runs are audited',
  );
});

t.test('weekly is Mondays only, across the change to summer time', async (t) => {
  const { smtp, h, groupId } = await setup(t);
  const digests = h.app.services.digests;
  const daily = await h.as('finance', 101);
  const weekly = await h.as('finance', 101);
  t.equal(
    (await weekly.postForm('/account/digest', { grants: 'weekly', agreements: 'off', version: '0' })).statusCode,
    303,
  );
  await awardedGrant(daily, await actorOf(h, 'Værestedet'), groupId, '2026-04-08', 'Rapport 8. april');

  // Wednesday 1 April, 7 days before (summer time since Sunday): the daily user only.
  t.equal((await digests.runDigests(summer('2026-04-01'))).mails, 1);
  // Monday 6 April: the report is due within the week, so the weekly user gets it; the daily user
  // has no reminder that day.
  t.equal((await digests.runDigests(summer('2026-04-06'))).mails, 1);
  // Tuesday 7 April: nothing; Wednesday 8 April, the due day: the daily user only.
  t.equal((await digests.runDigests(summer('2026-04-07'))).mails, 0);
  t.equal((await digests.runDigests(summer('2026-04-08'))).mails, 1);
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= 3);
  const weeklyMails = mailsTo(smtp, weekly.user.email);
  t.equal(weeklyMails.length, 1, 'one weekly mail');
  t.match(weeklyMails[0]?.text, /pr\. 06\.04\.2026/, 'on the Monday');
  t.equal(mailsTo(smtp, daily.user.email).length, 2, 'the daily user: a week before and on the day');
});

t.test('the admin sets the time of day; the choice is audited', async (t) => {
  const { smtp, h, groupId } = await setup(t);
  const finance = await h.as('finance', 101);
  await awardedGrant(finance, await actorOf(h, 'Værestedet'), groupId, '2026-03-31', 'Rapport');
  t.equal((await finance.postForm('/admin/mail/digest-time', { digestTime: '09:15', version: '0' })).statusCode, 403);
  const bad = await h.postForm('/admin/mail/digest-time', { digestTime: '25:00', version: '0' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, /Skriv et klokkeslæt som 07:00/);
  t.equal((await h.postForm('/admin/mail/digest-time', { digestTime: '09:15', version: '0' })).statusCode, 303);
  t.match((await h.inject({ method: 'GET', url: '/admin/mail' })).body, /value="09:15"/);
  const digests = h.app.services.digests;
  t.equal((await digests.runDigests(winter('2026-03-24', '08:14'))).mails, 0, 'not at 09:14');
  t.equal((await digests.runDigests(winter('2026-03-24', '08:15'))).mails, 1, 'at 09:15');
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= 1);
  const [row] = await h.database.rows<{ before: unknown; after: unknown }>(
    sql`select before, after from audit_log where entity = 'digest_settings'`,
  );
  t.same(row, { before: { digestTime: '07:00' }, after: { digestTime: '09:15' } });
});

t.test('one-click unsubscribe: a POST without a session turns the digest off', async (t) => {
  const { smtp, h, groupId } = await setup(t);
  const digests = h.app.services.digests;
  const finance = await h.as('finance', 101);
  await awardedGrant(finance, await actorOf(h, 'Værestedet'), groupId, '2026-03-10', 'Sen rapport');
  t.equal((await digests.runDigests(winter('2026-03-17'))).mails, 1);
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= 1);
  const link = header(smtp.received[0] as ParsedMail, 'list-unsubscribe')?.slice(1, -1) ?? '';
  const path = link.replace('https://samspil.test', '');

  const forged = path.replace(/token=[\w-]+/, 'token=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
  t.equal((await h.anonymous({ method: 'GET', url: forged })).statusCode, 404, 'a made-up token is refused');
  const other = path.replace(/user=\d+/, `user=${h.user.id}`);
  t.equal((await h.anonymous({ method: 'POST', url: other })).statusCode, 404, "another user's id with this token");

  const page = await h.anonymous({ method: 'GET', url: path });
  t.equal(page.statusCode, 200);
  t.match(page.body, /Ja, stop påmindelserne/);
  t.equal(
    await digests
      .preferences({ userId: finance.user.id, municipalityCode: 101, role: 'finance' })
      .then((p) => p.grants),
    'daily',
    'a GET changes nothing',
  );

  const res = await h.anonymous({
    method: 'POST',
    url: path,
    payload: 'List-Unsubscribe=One-Click',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(res.statusCode, 200);
  t.match(res.body, /Du får ikke flere påmindelser/);
  const prefs = await digests.preferences({ userId: finance.user.id, municipalityCode: 101, role: 'finance' });
  t.same([prefs.grants, prefs.agreements], ['off', 'off']);
  const [audit] = await h.database.rows<{ user_id: number; action: string; municipality_code: number }>(
    sql`select user_id, action, municipality_code from audit_log where entity = 'digest_preferences'`,
  );
  t.same(audit, { user_id: finance.user.id, action: 'unsubscribe', municipality_code: 101 });
  t.equal((await digests.runDigests(winter('2026-03-24'))).mails, 0, 'the next week: nothing');
});

t.test("a grant's case handler gets its report reminders, once, by their own choice", async (t) => {
  const { smtp, h, groupId } = await setup(t);
  const digests = h.app.services.digests;
  const finance = await h.as('finance', 101);
  const handlingFinance = await h.as('finance', 101);
  const handler = await h.as('coordinator', 101);
  const leaving = await h.as('coordinator', 101);
  const weekly = await h.as('coordinator', 101);
  const bystander = await h.as('coordinator', 101);
  t.equal(
    (await weekly.postForm('/account/digest', { grants: 'weekly', agreements: 'daily', version: '0' })).statusCode,
    303,
  );
  const actor = await actorOf(handler, 'Café Klare');
  const due = '2026-03-31';
  await awardedGrant(finance, actor, groupId, due, 'Rapport med koordinator', handler.user.id);
  await awardedGrant(finance, actor, groupId, due, 'Rapport med økonomi', handlingFinance.user.id);
  await awardedGrant(finance, actor, groupId, due, 'Rapport med en, der er stoppet', leaving.user.id);
  await awardedGrant(finance, actor, groupId, due, 'Rapport med ugentlig', weekly.user.id);
  await awardedGrant(finance, actor, groupId, due, 'Rapport uden sagsbehandler');
  t.equal((await h.postForm(`/admin/users/${leaving.user.id}/deactivate`, { confirm: 'yes' })).statusCode, 303);

  // Tuesday 24 March, 7 days before: finance twice, and the coordinator who handles a case.
  const run = await digests.runDigests(winter('2026-03-24'));
  t.equal(run.mails, 3, 'two finance users and the coordinator case handler');
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= run.mails);

  const [mail, ...more] = mailsTo(smtp, handler.user.email);
  t.equal(more.length, 0, 'one mail to the case handler');
  t.equal(mail?.subject, 'Påmindelser fra Samspil – København');
  t.match(mail?.text, /Rapport med koordinator \(Café Klare\): afrapportering senest 31\.03\.2026/);
  t.notMatch(mail?.text, /Rapport med (økonomi|en, der|ugentlig)|uden sagsbehandler/, 'only their own case');

  const [financeMail, ...again] = mailsTo(smtp, handlingFinance.user.email);
  t.equal(again.length, 0, 'one mail to a finance user who also handles a case');
  t.equal(financeMail?.text?.match(/Rapport med økonomi/g)?.length, 1, 'their case listed once');
  t.match(financeMail?.text, /Rapport uden sagsbehandler/, 'among all of the municipality’s reports');
  t.same(mailsTo(smtp, leaving.user.email), [], 'nothing for a deactivated case handler');
  t.same(mailsTo(smtp, weekly.user.email), [], 'nothing on a Tuesday for one who chose weekly');
  t.same(mailsTo(smtp, bystander.user.email), [], 'nothing for a coordinator with no case');
  t.match(mailsTo(smtp, finance.user.email)[0]?.text, /Rapport med en, der er stoppet/, 'finance still has it');
});
