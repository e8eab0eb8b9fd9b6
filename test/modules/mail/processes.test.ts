import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../../src/app.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { queueMail } from '../../../src/modules/mail/mail.compose.ts';
import { onPostgres, openTestDatabase, testConfig } from '../../helper.ts';
import { startSmtpServer, until } from './smtp.ts';

/**
 * Issue 20: two app processes on one PostgreSQL database send each mail once. 1,000 mails are
 * queued; two apps, each with its own connection pool and sender, send them to one SMTP server,
 * which counts them by Message-ID and by which app (its SMTP user) sent them.
 */
const MAILS = 1_000;

t.test(
  'two processes on one database send each of 1,000 mails once',
  { skip: !onPostgres && 'PostgreSQL only: PGlite serves one process, one transaction at a time' },
  async (t) => {
    // Each app holds its first mail until the other has one in hand too, so both are sending at
    // the same time however unevenly the machine schedules them.
    let release = () => {};
    const bothSending = new Promise<void>((r) => {
      release = r;
    });
    const seen = new Set<string>();
    const smtp = await startSmtpServer(t, {
      parse: false,
      hold: async (session) => {
        seen.add(String(session.user));
        if (seen.size >= 2) release();
        await bothSending;
      },
    });
    const database = await openTestDatabase(t);
    const apps = [];
    for (const name of ['a', 'b']) {
      const own = await openDatabase({ kind: 'postgres', url: database.url as string });
      const app = await buildApp(
        testConfig({
          MAIL_SENDER: 'on',
          MAIL_POLL_MS: '50',
          SMTP_URL: smtp.urlAs(name),
          PUBLIC_URL: 'https://samspil.test',
        }),
        { database: own, logger: false },
      );
      t.teardown(async () => {
        await app.close();
        await own.close();
      });
      await app.ready();
      apps.push(app);
    }

    // Queued after both have started, in transactions of 100, as changes queue them.
    const context = { publicUrl: 'https://samspil.test', from: 'x' };
    for (let i = 0; i < MAILS; i += 100) {
      await database.db.transaction(async (tx) => {
        for (let j = i; j < i + 100; j++)
          await queueMail(tx, context, {
            kind: 'password-changed',
            to: `bruger${j}@kk.dk`,
            municipalityCode: 101,
            locale: 'da',
            data: { name: `Bruger ${j}`, link: 'https://samspil.test/password/forgotten' },
          });
      });
      for (const app of apps) app.mailSender.kick();
    }

    const unsent = async () =>
      Number(
        (await database.rows<{ n: number }>(sql`select count(*)::int as n from mail_outbox where status <> 'sent'`))[0]
          ?.n,
      );
    await until(async () => (await unsent()) === 0);
    await Promise.all(apps.map((app) => app.mailSender.idle()));

    const counts = new Map<string, number>();
    for (const id of smtp.messageIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1);
    t.equal(smtp.messageIds.length, MAILS, `${smtp.messageIds.length} mails arrived`);
    t.equal(counts.size, MAILS, 'each with its own Message-ID');
    t.same(twice.slice(0, 5), [], 'none twice');
    const stored = await database.rows<{ message_id: string; status: string; attempts: number }>(
      sql`select message_id, status, attempts from mail_outbox`,
    );
    t.equal(stored.length, MAILS);
    t.ok(
      stored.every((r) => r.status === 'sent' && r.attempts === 1 && counts.get(r.message_id) === 1),
      "every row 'sent' after one try, and its Message-ID arrived once",
    );
    const byApp = { a: smtp.users.filter((u) => u === 'a').length, b: smtp.users.filter((u) => u === 'b').length };
    t.ok(byApp.a > 0 && byApp.b > 0, `both processes sent (a: ${byApp.a}, b: ${byApp.b})`);
    t.equal(byApp.a + byApp.b, MAILS);
  },
);
