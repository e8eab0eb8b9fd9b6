import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ParsedMail } from 'mailparser';
import t, { type Test } from 'tap';
import { flashOf, followRedirect } from '../../flash.ts';
import { buildTestApp, type Client, formBody, type TestApp } from '../../helper.ts';
import { oneAwardedGrant } from '../award-fixture.ts';
import { startSmtpServer, until } from './smtp.ts';

/**
 * The account mails of issue 20, point 5, against a real SMTP server: each in the recipient's own
 * language (users.locale, set by the language switch or on the account page), a welcome mail with
 * a single-use link to choose a password for a user an admin creates, and a notice to the old
 * address (and a confirmation to the new one) when an e-mail address changes.
 */
const env = {
  MAIL_SENDER: 'on',
  MAIL_POLL_MS: '50',
  MAIL_RETRY_BASE_MS: '20',
  MAIL_DIGEST_POLL_MS: '3600000',
  PUBLIC_URL: 'https://samspil.test',
};
const PASSWORD = 'en lang og hemmelig adgangskode';

async function setup(t: Test) {
  const smtp = await startSmtpServer(t);
  const h = await buildTestApp(t, { env: { ...env, SMTP_URL: smtp.url } });
  return { smtp, h };
}

const to = (mail: ParsedMail | undefined) => (mail?.to && 'text' in mail.to ? mail.to.text : '');
const mailsTo = (smtp: { received: ParsedMail[] }, email: string) => smtp.received.filter((m) => to(m) === email);
/** The path and query of the first link to /password/reset in a mail's text. */
const resetLink = (mail: ParsedMail | undefined) =>
  /https:\/\/samspil\.test(\/password\/reset\?token=[\w-]+)/.exec(mail?.text ?? '')?.[1] ?? '';

/** A browser without a session: the CSRF cookie and token from a public page, then form posts. */
async function anonymous(app: FastifyInstance, page: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'GET', url: page, headers });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
  const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
  return (url: string, form: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      payload: formBody({ _csrf: csrf, ...form }),
      headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    });
}

const auditOf = async (h: TestApp, userId: number) =>
  (
    await h.database.rows<{ action: string }>(
      sql`select action from audit_log where entity = 'user' and entity_id = ${String(userId)} order by id`,
    )
  ).map((r) => r.action);

const localeOf = async (h: TestApp, userId: number) =>
  (await h.database.rows<{ locale: string }>(sql`select locale from users where id = ${userId}`))[0]?.locale;

t.test('each user’s mails in their own language: digest, forgotten password, password changed', async (t) => {
  const { smtp, h } = await setup(t);
  const english = await h.as('finance', 101);
  const danish = await h.as('finance', 101);
  t.equal(await localeOf(h, english.user.id), 'da', 'Danish until chosen');

  // A link or image on another site reaches the switch with the user's cookie: it stores nothing.
  for (const site of ['cross-site', 'same-site']) {
    const forged = await english.inject({
      method: 'GET',
      url: '/language?to=en&back=/account',
      headers: { 'sec-fetch-site': site },
    });
    t.equal(forged.statusCode, 303);
    t.equal(await localeOf(h, english.user.id), 'da', `a switch from ${site} stores nothing`);
  }

  // The language switch of a signed-in user stores their choice (the switch of nobody stores nothing).
  const switched = await english.inject({ method: 'GET', url: '/language?to=en&back=/account' });
  t.equal(switched.statusCode, 303);
  t.equal(await localeOf(h, english.user.id), 'en', 'the language switch sets the user’s language');
  t.same(await auditOf(h, english.user.id), ['create', 'set_locale'], 'audited');
  await english.inject({ method: 'GET', url: '/language?to=en&back=/account' });
  t.same(await auditOf(h, english.user.id), ['create', 'set_locale'], 'the same again: nothing changed or audited');
  t.equal(
    (await h.app.inject({ method: 'GET', url: '/language?to=en' })).statusCode,
    303,
    'signed out: the cookie only',
  );

  // The account page shows the choice, and changes it; the cookie follows.
  const page = await english.inject({ method: 'GET', url: '/account' });
  t.match(page.body, /<option value="en" lang="en" selected>English<\/option>/, 'the account page shows the choice');
  const chosen = await english.postForm('/account/language', { locale: 'da' });
  t.equal(chosen.statusCode, 303);
  t.match(String(chosen.headers['set-cookie']), /lang=da/);
  t.equal(await localeOf(h, english.user.id), 'da');
  t.equal((await english.postForm('/account/language', { locale: 'de' })).statusCode, 400, 'only da or en');
  t.equal(await localeOf(h, english.user.id), 'da');
  t.equal((await english.postForm('/account/language', { locale: 'en' })).statusCode, 303);
  t.equal(await localeOf(h, english.user.id), 'en');

  // A report due in a week: both finance users get a digest, each in their language.
  const { grantId } = await oneAwardedGrant(h, english, 10, 100_000);
  const grant = (await english.inject({ method: 'GET', url: `/api/v1/grants/${grantId}` })).json();
  const patched = await english.inject({
    method: 'PATCH',
    url: `/api/v1/grants/${grantId}`,
    payload: { version: grant.version, reportDueOn: '2026-03-31' },
  });
  t.equal(patched.statusCode, 200);
  const run = await h.app.services.digests.runDigests(new Date('2026-03-24T06:30:00Z'));
  t.equal(run.mails, 2);
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= 2);
  const [enDigest] = mailsTo(smtp, english.user.email);
  t.equal(enDigest?.subject, 'Reminders from Samspil – København', 'the English user’s digest: English subject');
  t.match(enDigest?.text, /^Dear Test finance 101/);
  t.match(enDigest?.text, /Here is what needs follow-up in København as of 24\/03\/2026\./, 'English text and dates');
  t.match(enDigest?.text, /Nattevagt \(Herberget Nørrebro\): report due by 31\/03\/2026/);
  t.notMatch(enDigest?.text, /afrapportering|Påmindelser/, 'no Danish');
  t.match(enDigest?.html, /<html lang="en">/, 'the HTML part says its language');
  const [daDigest] = mailsTo(smtp, danish.user.email);
  t.equal(daDigest?.subject, 'Påmindelser fra Samspil – København', 'the Danish user’s: Danish');
  t.match(daDigest?.text, /afrapportering senest 31\.03\.2026/);

  // Forgotten password, asked from a Danish browser for the English user: the mail is in English;
  // asked from an English browser for the Danish user: in Danish.
  const daBrowser = await anonymous(h.app, '/password/forgotten', { 'accept-language': 'da' });
  const enBrowser = await anonymous(h.app, '/password/forgotten', { 'accept-language': 'en' });
  t.equal((await daBrowser('/password/forgotten', { email: english.user.email })).statusCode, 200);
  t.equal((await enBrowser('/password/forgotten', { email: danish.user.email })).statusCode, 200);
  await until(() => smtp.received.length >= 4);
  const enReset = mailsTo(smtp, english.user.email)[1];
  t.equal(enReset?.subject, 'Choose a new password for Samspil', 'the reset mail in the user’s language');
  t.notMatch(enReset?.text, /adgangskode/);
  const daReset = mailsTo(smtp, danish.user.email)[1];
  t.equal(daReset?.subject, 'Vælg en ny adgangskode til Samspil', 'not in the asking browser’s');

  // The link, used from the Danish browser: the "password changed" notice is English too.
  const link = resetLink(enReset);
  t.ok(link, 'the English mail holds the link');
  const token = new URL(`https://x${link}`).searchParams.get('token') as string;
  const done = await daBrowser('/password/reset', {
    token,
    newPassword: 'a new and long password',
    repeatPassword: 'a new and long password',
  });
  t.equal(done.statusCode, 303);
  await until(() => mailsTo(smtp, english.user.email).length >= 3);
  t.equal(mailsTo(smtp, english.user.email)[2]?.subject, 'Your Samspil password has changed');
});

t.test('a new user: a welcome mail with a single-use link; no sign-in until the password is chosen', async (t) => {
  const { smtp, h } = await setup(t);
  const created = await h.postForm('/admin/users', { name: 'Vera Velkommen', email: 'vera@kk.dk', role: 'viewer' });
  t.equal(created.statusCode, 303);
  t.equal(flashOf((await followRedirect(h, created)).body), 'Brugeren Vera Velkommen er oprettet.');
  const vera = await h.app.services.accounts.findUserByEmail('vera@kk.dk');
  const signIn = (password: string) => h.app.services.accounts.login('vera@kk.dk', password, '10.3.0.1');
  await t.rejects(signIn(PASSWORD), { code: 'LOGIN_FAILED' }, 'no password signs in before the link is used');

  await until(() => smtp.received.length >= 1);
  const [welcome] = smtp.received;
  t.equal(to(welcome), 'vera@kk.dk', 'to the new user');
  t.equal(welcome?.subject, 'Velkommen til Samspil');
  t.match(welcome?.text, /^Kære Vera Velkommen/);
  t.match(welcome?.text, /Du er oprettet som bruger i Samspil med e-mailadressen vera@kk\.dk\./);
  t.match(welcome?.text, /Linket virker i 7 dage og kun én gang\./);
  t.match(welcome?.text, /https:\/\/samspil\.test\/login/);
  const link = resetLink(welcome);
  t.ok(link, 'with the link');
  const token = new URL(`https://x${link}`).searchParams.get('token') as string;
  const [stored] = await h.database.rows<{ token_hash: string; purpose: string }>(
    sql`select token_hash, purpose from password_resets where user_id = ${vera?.id ?? 0}`,
  );
  t.equal(stored?.purpose, 'welcome');
  t.notOk(stored?.token_hash.includes(token), 'only a hash of the token is stored');

  const form = await h.app.inject({ method: 'GET', url: link });
  t.equal(form.statusCode, 200);
  t.match(form.body, /<h1>Vælg din adgangskode<\/h1>/, 'the page welcomes');
  const post = await anonymous(h.app, '/password/forgotten');
  const chosen = await post('/password/reset', {
    token,
    newPassword: 'veras egen lange kode',
    repeatPassword: 'veras egen lange kode',
  });
  t.equal(chosen.statusCode, 303);
  t.equal(chosen.headers.location, '/login', 'to the sign-in page');
  t.notMatch(String(chosen.headers['set-cookie'] ?? ''), /samspil_session=/, 'signed in nowhere');
  const sessions = await h.database.rows<{ n: number }>(
    sql`select count(*)::int as n from sessions where user_id = ${vera?.id ?? 0}`,
  );
  t.equal(sessions[0]?.n, 0, 'no session was made');
  const again = await post('/password/reset', {
    token,
    newPassword: 'en anden lang kode',
    repeatPassword: 'en anden lang kode',
  });
  t.equal(again.statusCode, 400, 'the link works once');
  await t.rejects(signIn('en anden lang kode'), { code: 'LOGIN_FAILED' });
  const { token: session } = await signIn('veras egen lange kode');
  t.ok(session, 'the chosen password signs in');
  t.same(await auditOf(h, vera?.id ?? 0), ['create', 'welcome_link_sent', 'welcome_password_set']);

  // The admin sends a new welcome link: asked first, audited, a second mail; the first is used up.
  const edit = await h.inject({ method: 'GET', url: `/admin/users/${vera?.id}/edit` });
  t.match(edit.body, new RegExp(`action="/admin/users/${vera?.id}/welcome"`));
  const asked = await h.postForm(`/admin/users/${vera?.id}/welcome`, {});
  t.equal(asked.statusCode, 200);
  t.match(asked.body, /Send et nyt velkomstlink til Vera Velkommen\?/, 'the confirm step');
  const sent = await h.postForm(`/admin/users/${vera?.id}/welcome`, { confirm: 'yes' });
  t.equal(sent.statusCode, 303);
  await until(() => smtp.received.length >= 2);
  t.equal(smtp.received[1]?.subject, 'Velkommen til Samspil');
  t.not(resetLink(smtp.received[1]), link, 'a new link');
  t.same((await auditOf(h, vera?.id ?? 0)).slice(-1), ['welcome_link_sent']);
  t.equal(smtp.received.length, 2, 'choosing the first password sent no "password changed" mail');
});

t.test('an e-mail address changed by an admin or by the user: the old address is told', async (t) => {
  const { smtp, h } = await setup(t);
  const eva = await h.as('viewer', 101);
  const other = await h.as('viewer', 101);
  const oldEmail = eva.user.email;
  const edit = (email: string, version: string) =>
    h.postForm(`/admin/users/${eva.user.id}`, { email, name: 'Eva', role: 'viewer', municipalityCode: '101', version });
  const taken = await edit(other.user.email.toUpperCase(), '1');
  t.equal(taken.statusCode, 409, 'another user’s address, in other letters: refused');
  t.match(taken.body, /Der er allerede en bruger med den e-mailadresse\./);
  t.equal((await edit('ikke en adresse', '1')).statusCode, 422);
  const saved = await edit('Eva.Ny@KK.dk', '1');
  t.equal(saved.statusCode, 303);
  t.equal((await edit('eva.tredje@kk.dk', '1')).statusCode, 409, 'a stale version: refused');
  await until(() => smtp.received.length >= 2);
  const [notice] = mailsTo(smtp, oldEmail);
  t.equal(notice?.subject, 'Din e-mailadresse i Samspil er ændret', 'a notice to the old address');
  t.match(notice?.text, /ændret til eva\.ny@kk\.dk\./);
  t.match(notice?.text, /Var det ikke dig, så kontakt din administrator/);
  const [confirmation] = mailsTo(smtp, 'eva.ny@kk.dk');
  t.equal(confirmation?.subject, 'Din nye e-mailadresse i Samspil', 'a confirmation to the new one');
  const [audit] = await h.database.rows<{ before: { email: string }; after: { email: string } }>(
    sql`select before, after from audit_log where action = 'update' and entity_id = ${String(eva.user.id)}`,
  );
  t.same([audit?.before.email, audit?.after.email], [oldEmail, 'eva.ny@kk.dk'], 'audited');
  t.equal(smtp.received.length, 2, 'a refused change sends nothing');

  // The user changes their own, in English, with their current password.
  await eva.inject({ method: 'GET', url: '/language?to=en' });
  const own = (form: Record<string, string>) => eva.postForm('/account/email', form);
  const page = await eva.inject({ method: 'GET', url: '/account/email' });
  t.equal(page.statusCode, 200);
  const wrong = await own({ newEmail: 'eva.egen@kk.dk', currentPassword: 'forkert' });
  t.equal(wrong.statusCode, 422, 'a wrong password: refused');
  t.equal((await own({ newEmail: other.user.email, currentPassword: PASSWORD })).statusCode, 409, 'a taken one');
  const changed = await own({ newEmail: 'eva.egen@kk.dk', currentPassword: PASSWORD });
  t.equal(changed.statusCode, 303);
  await until(() => smtp.received.length >= 4);
  const [enNotice] = mailsTo(smtp, 'eva.ny@kk.dk').slice(1);
  t.equal(enNotice?.subject, 'Your e-mail address in Samspil has changed', 'in the user’s language');
  t.match(enNotice?.text, /changed to eva\.egen@kk\.dk\. .*\n*If this was not you, contact your administrator/s);
  t.equal(mailsTo(smtp, 'eva.egen@kk.dk')[0]?.subject, 'Your new e-mail address in Samspil');
  t.same(await auditOf(h, eva.user.id), ['create', 'update', 'set_locale', 'change_email'], 'each change audited');
  const { token } = await h.app.services.accounts.login('eva.egen@kk.dk', PASSWORD, '10.3.0.2');
  t.ok(token, 'the new address signs in');
});

t.test('an admin’s temporary password: the user is told, in their language', async (t) => {
  const { smtp, h } = await setup(t);
  const bo: Client = await h.as('coordinator', 101);
  await bo.inject({ method: 'GET', url: '/language?to=en' });
  const res = await h.postForm(`/admin/users/${bo.user.id}/password`, { password: 'en midlertidig kode' });
  t.equal(res.statusCode, 303);
  await until(() => smtp.received.length >= 1);
  t.equal(to(smtp.received[0]), bo.user.email);
  t.equal(smtp.received[0]?.subject, 'Your Samspil password has changed');
});

t.test('a corrected e-mail address ends the links mailed to the old one', async (t) => {
  const { smtp, h } = await setup(t);
  const created = await h.postForm('/admin/users', { name: 'Mia Tastefejl', email: 'mia@kk.dkk', role: 'viewer' });
  t.equal(created.statusCode, 303);
  await until(() => smtp.received.length >= 1);
  const link = resetLink(mailsTo(smtp, 'mia@kk.dkk')[0]);
  const token = new URL(`https://x${link}`).searchParams.get('token') as string;
  t.ok(token, 'a welcome link went to the mistyped address');
  const mia = await h.app.services.accounts.findUserByEmail('mia@kk.dkk');
  const corrected = await h.postForm(`/admin/users/${mia?.id}`, {
    email: 'mia@kk.dk',
    name: 'Mia Tastefejl',
    role: 'viewer',
    municipalityCode: '101',
    version: String(mia?.version),
  });
  t.equal(corrected.statusCode, 303);
  const post = await anonymous(h.app, '/password/forgotten');
  const used = await post('/password/reset', {
    token,
    newPassword: 'en fremmeds lange kode',
    repeatPassword: 'en fremmeds lange kode',
  });
  t.equal(used.statusCode, 400, 'the link at the old address no longer sets the password');
  await t.rejects(h.app.services.accounts.login('mia@kk.dk', 'en fremmeds lange kode', '10.3.0.3'), {
    code: 'LOGIN_FAILED',
  });
});
