import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import t, { type Test } from 'tap';
import { type Database, openDatabase } from '../../../src/db/client.ts';
import { system } from '../../../src/lib/principal.ts';
import { createAccountService } from '../../../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../../../src/modules/municipalities/municipalities.service.ts';
import { onPostgres, TEST_ENV, testConfig } from '../../helper.ts';
import { postgresUrls, root, TS_LOADER } from '../../template.ts';
import { startSmtpServer, until } from './smtp.ts';

/**
 * Issue 20: the real server is killed (SIGKILL) after the change that queued a mail has committed
 * and before the mail was delivered; started again with a working SMTP server, it sends the mail,
 * once. The mail is asked for through a real request (a forgotten password). PostgreSQL only: the
 * point is a second process on a server database taking over an abandoned claim.
 */
const skip = !onPostgres && 'PostgreSQL only (crash recovery of the outbox across processes)';
const EMAIL = 'glemsom@kk.dk';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A database of its own, from the run's template, with one user; dropped at the end. */
async function ownDatabase(t: Test): Promise<{ url: string; open: () => Promise<Database> }> {
  const { admin, withDb, base, template } = postgresUrls(process.env.DATABASE_URL as string);
  const name = `${base}_mailcrash_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const sqlAdmin = postgres(admin, { max: 1, onnotice: () => {} });
  await sqlAdmin.unsafe(`create database "${name}" template "${template}"`);
  t.teardown(async () => {
    await sqlAdmin.unsafe(`drop database if exists "${name}" with (force)`);
    await sqlAdmin.end();
  });
  const url = withDb(name);
  const open = () => openDatabase({ kind: 'postgres', url });
  const database = await open();
  try {
    const accounts = createAccountService(database.db, testConfig(), createMunicipalityService(database));
    await accounts.createUser(
      system,
      { email: EMAIL, name: 'Glemsom', password: 'en lang adgangskode', role: 'finance', municipalityCode: 101 },
      { system: true },
    );
  } finally {
    await database.close();
  }
  return { url, open };
}

async function startServer(env: Record<string, string>) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...TS_LOADER, 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...TEST_ENV,
      MAIL_POLL_MS: '50',
      PUBLIC_URL: 'https://samspil.test',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: 'ignore',
  });
  // Until it answers /readyz, or exits: however long a busy machine takes.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base, child };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** A browser asking for a link: the form's cookie and CSRF token, then the POST. */
async function askForLink(base: string, email: string): Promise<number> {
  const form = await fetch(`${base}/password/forgotten`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const res = await fetch(`${base}/password/forgotten`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email }).toString(),
  });
  await res.text();
  return res.status;
}

type OutboxRow = { message_id: string; status: string; attempts: number };
const outbox = (db: Database) =>
  db.rows<OutboxRow>(sql`select message_id, status, attempts from mail_outbox order by id`);

/** The second start: a working SMTP server; the mail arrives once, and the server stops cleanly. */
async function restartAndDeliver(t: Test, url: string, db: Database, queued: OutboxRow, env = {}) {
  const smtp = await startSmtpServer(t);
  const { child } = await startServer({ DATABASE_URL: url, MAIL_SENDER: 'on', SMTP_URL: smtp.url, ...env });
  await until(async () => (await outbox(db))[0]?.status === 'sent');
  child.kill('SIGTERM');
  t.equal(await exited(child), 0, 'the restarted server stops cleanly');
  t.equal(smtp.received.length, 1, 'the mail arrived once');
  t.equal(smtp.received[0]?.messageId, queued.message_id, 'with the Message-ID it was queued with');
  t.equal(smtp.received[0]?.to && 'text' in smtp.received[0].to ? smtp.received[0].to.text : '', EMAIL);
  t.match(smtp.received[0]?.text, /https:\/\/samspil\.test\/password\/reset\?token=/, 'the link is in it');
  const rows = await outbox(db);
  t.equal(rows.length, 1, 'one mail queued for one request');
  return rows[0] as OutboxRow;
}

t.test('killed after the commit, before the sender claimed the mail: sent once at the restart', { skip }, async (t) => {
  const { url, open } = await ownDatabase(t);
  const db = await open();
  t.teardown(() => db.close());
  // This process queues but does not send (MAIL_SENDER=off): the kill lands between commit and send.
  const first = await startServer({ DATABASE_URL: url, MAIL_SENDER: 'off' });
  t.equal(await askForLink(first.base, EMAIL), 200);
  await until(async () => (await outbox(db)).length === 1);
  first.child.kill('SIGKILL');
  await exited(first.child);
  const [queued] = await outbox(db);
  t.match(queued, { status: 'queued', attempts: 0 }, 'committed, not tried');
  const sent = await restartAndDeliver(t, url, db, queued as OutboxRow);
  t.equal(sent.attempts, 1, 'one try');
});

t.test(
  'killed in the middle of sending (the SMTP server never answers DATA): sent once by the next start',
  { skip },
  async (t) => {
    const { url, open } = await ownDatabase(t);
    const db = await open();
    t.teardown(() => db.close());
    let release = () => {};
    const never = new Promise<void>((r) => {
      release = r;
    });
    const held = await startSmtpServer(t, { hold: () => never });
    t.teardown(() => release());
    // A short lease, so the next start may take the abandoned claim over within the test.
    const lease = { MAIL_LEASE_SECONDS: '1' };
    const first = await startServer({ DATABASE_URL: url, MAIL_SENDER: 'on', SMTP_URL: held.url, ...lease });
    t.equal(await askForLink(first.base, EMAIL), 200);
    // The whole mail has reached the SMTP server, which has not said it took it.
    await until(() => held.tries() === 1);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const [queued] = await outbox(db);
    t.match(queued, { status: 'queued', attempts: 1 }, 'claimed and tried, not marked sent');
    t.equal(held.messageIds.length, 0, 'the held server accepted nothing');
    const sent = await restartAndDeliver(t, url, db, queued as OutboxRow, lease);
    t.equal(sent.attempts, 2, 'tried again once the lease had run out');
  },
);
