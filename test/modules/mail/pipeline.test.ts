import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import type { Queryable } from '../../../src/db/client.ts';
import { queueMail } from '../../../src/modules/mail/mail.compose.ts';
import { nextMailDueInMs } from '../../../src/modules/mail/mail.repository.ts';
import { buildTestApp, formBody, lastId, type TestApp } from '../../helper.ts';
import { startSmtpServer, until } from './smtp.ts';

/**
 * The mail pipeline against a real SMTP server in the process: a mail is queued in the transaction
 * of the change that causes it and sent after commit; temporary failures (4xx) are retried with
 * backoff, permanent ones (5xx) are recorded and never retried; nothing is sent for a rolled-back
 * change; without SMTP_URL mail is written as .eml files.
 */
const fast = { MAIL_SENDER: 'on', MAIL_POLL_MS: '50', MAIL_RETRY_BASE_MS: '20', PUBLIC_URL: 'https://samspil.test' };

/** A browser without a session: the CSRF cookie and token from a public page, then form posts. */
async function anonymousForm(app: FastifyInstance, page: string) {
  const res = await app.inject({ method: 'GET', url: page });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
  const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
  return (url: string, form: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      payload: formBody({ _csrf: csrf, ...form }),
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    });
}

const outbox = async (h: TestApp) =>
  h.database.rows<{ status: string; attempts: number; last_error: string | null; text_body: string | null }>(
    sql`select status, attempts, last_error, text_body from mail_outbox order by id`,
  );

/** A password-changed mail to `to` (and the account, if given), queued in the transaction given. */
const queuePasswordChanged = (tx: Queryable, to: string, userId?: number) =>
  queueMail(
    tx,
    { publicUrl: 'https://samspil.test', from: 'x' },
    {
      kind: 'password-changed',
      to,
      ...(userId === undefined ? {} : { userId }),
      municipalityCode: 101,
      locale: 'da',
      data: { name: 'Test', link: 'https://samspil.test/password/forgotten' },
    },
  );

/**
 * One app and one accepting SMTP server for the tests that can share them: each counts the mails and
 * rows from before its own action. The tests whose server refuses mail, or that write .eml files,
 * have an app of their own.
 */
const smtp = await startSmtpServer(t);
const h = await buildTestApp(t, { env: { ...fast, SMTP_URL: smtp.url } });

t.test('forgotten password: a link by mail, used once, every session ended, told by mail', async (t) => {
  const user = await h.as('finance', 101);
  const post = await anonymousForm(h.app, '/password/forgotten');
  const sent = smtp.received.length;
  const resetsBefore = await lastId(h.database, 'password_resets');

  const known = await post('/password/forgotten', { email: user.user.email.toUpperCase() });
  const unknown = await post('/password/forgotten', { email: 'ingen@nowhere.dk' });
  t.equal(known.statusCode, 200);
  t.equal(unknown.statusCode, 200);
  t.equal(known.body, unknown.body, 'the same answer whether or not the address has an account');
  t.match(known.body, /Hvis adressen hører til en bruger/);

  await until(() => smtp.received.length >= sent + 1);
  const mail = smtp.received[sent];
  t.equal(mail?.to && 'text' in mail.to ? mail.to.text : '', user.user.email, 'to the account');
  t.equal(mail?.subject, 'Vælg en ny adgangskode til Samspil');
  t.ok(mail?.messageId?.endsWith('@samspil.test>'), 'a Message-ID of the app');
  t.ok(mail?.html, 'with an HTML part');
  const link = /https:\/\/samspil\.test(\/password\/reset\?token=[\w-]+)/.exec(mail?.text ?? '')?.[1];
  t.ok(link, 'the text part holds the link');

  const form = await h.app.inject({ method: 'GET', url: link as string });
  t.equal(form.statusCode, 200);
  t.match(form.body, /name="newPassword"/);
  const token = new URL(`https://x${link}`).searchParams.get('token') as string;
  const stored = await h.database.rows<{ token_hash: string }>(
    sql`select token_hash from password_resets where id > ${resetsBefore}`,
  );
  t.equal(stored.length, 1);
  t.not(stored[0]?.token_hash, token, 'only a hash of the token is stored');
  t.notOk(stored[0]?.token_hash.includes(token));

  const mismatch = await post('/password/reset', { token, newPassword: 'en ny lang adgangskode', repeatPassword: 'x' });
  t.equal(mismatch.statusCode, 422, 'the two passwords must match');
  const done = await post('/password/reset', {
    token,
    newPassword: 'en ny lang adgangskode',
    repeatPassword: 'en ny lang adgangskode',
  });
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, '/login');
  const again = await post('/password/reset', {
    token,
    newPassword: 'en tredje lang adgangskode',
    repeatPassword: 'en tredje lang adgangskode',
  });
  t.equal(again.statusCode, 400, 'a link works once');
  t.match(again.body, /udløbet eller allerede brugt/);

  const old = await user.inject({ method: 'GET', url: '/account' });
  t.not(old.statusCode, 200, 'the session from before is ended');
  const { token: signedIn } = await h.app.services.accounts.login(user.user.email, 'en ny lang adgangskode', '1.2.3.4');
  t.ok(signedIn, 'the new password signs in');

  await until(() => smtp.received.length >= sent + 2);
  t.equal(smtp.received[sent + 1]?.subject, 'Din adgangskode til Samspil er ændret', 'the user is told');
  t.equal(smtp.received.length, sent + 2, 'nothing was sent to the unknown address');
  const audit = await h.database.rows<{ action: string }>(
    sql`select action from audit_log where entity = 'user' and entity_id = ${String(user.user.id)} and action like 'password_reset%' order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['password_reset_requested', 'password_reset'],
    'asked and used, in the audit trail',
  );
  // Arrived at the server is not yet marked sent: that is the sender's next statement.
  await until(async () => (await outbox(h)).every((r) => r.status !== 'queued'));
  const rows = await outbox(h);
  t.ok(
    rows.every((r) => r.status === 'sent' && r.text_body === null),
    'sent mails keep no body',
  );
});

t.test('an expired or unknown link shows no form', async (t) => {
  const res = await h.app.inject({ method: 'GET', url: '/password/reset?token=nonsense' });
  t.equal(res.statusCode, 200);
  t.notMatch(res.body, /name="newPassword"/);
  t.match(res.body, /udløbet eller allerede brugt/);
});

t.test('421 twice, then accepted: the mail arrives once', async (t) => {
  const smtp = await startSmtpServer(t, { answer: (n) => (n <= 2 ? 421 : undefined) });
  const h = await buildTestApp(t, { env: { ...fast, SMTP_URL: smtp.url } });
  const user = await h.as('coordinator', 101);
  await h.database.db.transaction(async (tx) => {
    await queuePasswordChanged(tx, user.user.email, user.user.id);
  });
  h.app.mailSender.kick();
  await until(() => smtp.received.length >= 1);
  await until(async () => (await outbox(h))[0]?.status === 'sent');
  t.equal(smtp.tries(), 3, 'tried three times');
  t.equal(smtp.received.length, 1, 'delivered once');
  t.equal((await outbox(h))[0]?.attempts, 3);
});

t.test('550: recorded, shown to the admin, never tried again', async (t) => {
  const smtp = await startSmtpServer(t, { answer: () => 550 });
  const h = await buildTestApp(t, { env: { ...fast, SMTP_URL: smtp.url } });
  await h.database.db.transaction(async (tx) => {
    await queuePasswordChanged(tx, 'gone@kk.dk');
  });
  h.app.mailSender.kick();
  await until(async () => (await outbox(h))[0]?.status === 'failed');
  // Several polls later it is still one try.
  await new Promise((r) => setTimeout(r, 300));
  await h.app.mailSender.idle();
  t.equal(smtp.tries(), 1, 'one try only');
  const [row] = await outbox(h);
  t.equal(row?.attempts, 1);
  t.match(row?.last_error, /550/, "the server's answer is kept");
  const page = await h.inject({ method: 'GET', url: '/admin/mail?status=failed' });
  t.equal(page.statusCode, 200);
  t.match(page.body, /gone@kk\.dk/);
  t.match(page.body, /Kunne ikke leveres/);
  t.match(page.body, /550/);
  const viewer = await h.as('viewer', 101);
  t.equal((await viewer.inject({ method: 'GET', url: '/admin/mail' })).statusCode, 403, 'admins only');
  const foreign = await h.as('admin', 751);
  const theirs = await foreign.inject({ method: 'GET', url: '/admin/mail' });
  t.equal(theirs.statusCode, 200);
  t.notMatch(theirs.body, /gone@kk\.dk/, "another municipality's admin does not see it");
});

t.test('the sender waits as long as the next mail is due, and for the poll when none is queued', async (t) => {
  await h.app.mailSender.idle();
  await until(async () => (await outbox(h)).every((m) => m.status !== 'queued'));
  // Over no queued mail there is no "next": the sender then waits MAIL_POLL_MS, not the 10 ms
  // floor it keeps for overdue mail (an empty outbox was polled a hundred times a second).
  t.equal(await h.app.services.mail.nextDueInMs(), null, 'none queued: no time');
  // Queued due in an hour, in one transaction: the sender (polling every 50 ms) never sees it due.
  const queued = await h.database.db.transaction(async (tx) => {
    const mail = await queuePasswordChanged(tx, 'ventende@samspil.test');
    await tx.execute(sql`update mail_outbox set next_attempt_at = now() + interval '1 hour' where id = ${mail.id}`);
    return mail;
  });
  t.teardown(() => h.database.rows(sql`delete from mail_outbox where id = ${queued.id}`));
  const later = Number(await h.app.services.mail.nextDueInMs());
  t.ok(later > 3_500_000 && later <= 3_600_000, `due in an hour: ${later} ms`);
  // Overdue, seen inside a transaction that the sender cannot see into, so it cannot send it first.
  let overdue: number | null | undefined;
  await t.rejects(
    h.database.db.transaction(async (tx) => {
      await tx.execute(sql`update mail_outbox set next_attempt_at = now() - interval '1 hour' where id = ${queued.id}`);
      overdue = await nextMailDueInMs(tx);
      tx.rollback();
    }),
    'rolled back',
  );
  t.equal(overdue, 0, 'overdue: now');
});

t.test('a rolled-back change sends nothing', async (t) => {
  const rowsBefore = await outbox(h);
  const triesBefore = smtp.tries();
  await t.rejects(
    h.database.db.transaction(async (tx) => {
      await queuePasswordChanged(tx, 'a@kk.dk');
      throw new Error('the change fails');
    }),
  );
  h.app.mailSender.kick();
  await new Promise((r) => setTimeout(r, 200));
  await h.app.mailSender.idle();
  t.same(await outbox(h), rowsBefore, 'no row');
  t.equal(smtp.tries() - triesBefore, 0, 'nothing sent');
});

t.test('without SMTP_URL: written as .eml files under DATA_DIR/mail', async (t) => {
  const dataDir = join(tmpdir(), `samspil-mail-${process.pid}`);
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const h = await buildTestApp(t, { env: { ...fast, DATA_DIR: dataDir } });
  await h.database.db.transaction(async (tx) => {
    await queueMail(
      tx,
      { publicUrl: 'https://samspil.test', from: 'x' },
      { kind: 'password-changed', to: 'b@kk.dk', locale: 'en', data: { name: 'B', link: 'https://x' } },
    );
  });
  h.app.mailSender.kick();
  await until(async () => (await outbox(h))[0]?.status === 'sent');
  const files = readdirSync(join(dataDir, 'mail')).filter((f) => f.endsWith('.eml'));
  t.equal(files.length, 1, 'one file');
  const eml = readFileSync(join(dataDir, 'mail', files[0] as string), 'utf8');
  t.match(eml, /^To: b@kk\.dk$/m);
  t.match(eml, /^Subject: Your Samspil password has changed$/m, 'in the recipient’s language');
  t.match(eml, /^Message-ID: <[\w-]+@samspil\.test>$/m);
});
