/**
 * `npm run bench:mail` (and the end of `npm run bench`): mails sent per second from the outbox to a
 * local SMTP server (smtp-server, in this process, counting Message-IDs). 2,000 mails (MAIL_BENCH
 * sets another number) are queued through queueMail, in transactions of 100, into a fresh
 * PostgreSQL database; the app runs as its own process with the flags of `npm start` and its
 * background sender sends them. Timed from the commit of the first batch until every row is 'sent'.
 * Rounds: one SMTP connection per mail (SMTP_URL `?pool=false`), one kept open (the default), and
 * two app processes on the one database. Figures go to bench/MAIL.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { queueMail } from '../src/modules/mail/mail.compose.ts';
import { startSmtpServer, until } from '../test/modules/mail/smtp.ts';
import { DIGEST_HEADING } from './digests-heading.ts';
import { startCommand } from './start-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAILS = Number(process.env.MAIL_BENCH ?? 2_000);
const DB = 'samspil_mail_bench';
const given = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const withDb = (name: string) => {
  const u = new URL(given);
  u.pathname = `/${name}`;
  return u.toString();
};
const url = withDb(DB);

async function startApp(port: number, smtpUrl: string): Promise<ChildProcess> {
  const { env, flags } = startCommand(root);
  const child = spawn(process.execPath, [...flags, 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SMTP_URL: smtpUrl,
      MAIL_SENDER: 'on',
      MAIL_POLL_MS: '100',
      PUBLIC_URL: 'https://samspil.bench',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

interface Round {
  name: string;
  processes: number;
  ms: number;
  perSecond: number;
  arrived: number;
  distinct: number;
}

async function round(name: string, processes: number, query: string): Promise<Round> {
  const database = await openDatabase({ kind: 'postgres', url });
  const smtp = await startSmtpServer(undefined, { parse: false });
  const apps: ChildProcess[] = [];
  try {
    await database.db.execute(sql`truncate mail_outbox`);
    for (let p = 0; p < processes; p++) apps.push(await startApp(3921 + p, `${smtp.urlAs(`app${p}`)}${query}`));
    const context = { publicUrl: 'https://samspil.bench', from: 'Samspil <samspil@bench>' };
    const started = performance.now();
    for (let i = 0; i < MAILS; i += 100)
      await database.db.transaction(async (tx) => {
        for (let j = i; j < Math.min(MAILS, i + 100); j++)
          await queueMail(tx, context, {
            kind: 'password-changed',
            to: `bruger${j}@kk.dk`,
            municipalityCode: 101,
            locale: 'da',
            data: { name: `Bruger ${j}`, link: 'https://samspil.bench/password/forgotten' },
          });
      });
    await until(async () => {
      const [row] = await database.rows<{ n: number }>(
        sql`select count(*)::int as n from mail_outbox where status = 'sent'`,
      );
      return Number(row?.n) === MAILS;
    });
    const ms = performance.now() - started;
    const result = {
      name,
      processes,
      ms: Math.round(ms),
      perSecond: Math.round((MAILS / ms) * 1000),
      arrived: smtp.messageIds.length,
      distinct: new Set(smtp.messageIds).size,
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await Promise.all(apps.map(stopped));
    await smtp.close();
    await database.close();
  }
}

const admin = postgres(withDb('postgres'), { max: 1, onnotice: () => {} });
await admin.unsafe(`drop database if exists "${DB}" with (force)`);
await admin.unsafe(`create database "${DB}"`);
try {
  const database = await openDatabase({ kind: 'postgres', url });
  await migrateDatabase(database);
  await database.close();
  const load = loadavg()[0]?.toFixed(1);
  const rounds = [
    await round('One SMTP connection per mail (`?pool=false`)', 1, '?pool=false'),
    await round('One connection kept open (the default)', 1, ''),
    await round('Two app processes, one connection each', 2, ''),
  ];
  const rows = rounds.map(
    (r) => `| ${r.name} | ${r.processes} | ${r.ms} | **${r.perSecond}** | ${r.arrived} | ${r.distinct} |`,
  );
  // The digest run's figures (bench/digests.ts) follow this benchmark's in the file: kept as they are.
  const file = join(root, 'bench', 'MAIL.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const digestSection = previous.includes(DIGEST_HEADING) ? previous.slice(previous.indexOf(DIGEST_HEADING)) : '';
  writeFileSync(
    file,
    `# Mail benchmark

\`npm run bench:mail\` on ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, PostgreSQL,
load average ${load} at the start (${new Date().toISOString().slice(0, 10)}).
${MAILS} mails (the password-changed mail: plain text and HTML, about 3 KB) queued through \`queueMail\` in
transactions of 100, and sent by the app's background sender (the app run as \`npm start\` runs it) to
an SMTP server (smtp-server) in the bench process on loopback, which counts them by Message-ID. Timed
from the first commit until every row is 'sent' (rendering and queueing included).

| Round | App processes | ms | Mails/s | Arrived | Distinct Message-IDs |
| --- | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

- A mail is claimed (20 at a time, \`FOR UPDATE SKIP LOCKED\`, with a lease), sent, and marked sent
  in its own statement, one at a time per process: each arrives once, whatever the number of processes.
- The SMTP server shares the machine's ${cpus().length} cores with PostgreSQL and the app; against a
  real relay the round trip, not the CPU, sets the pace.
${digestSection ? `\n${digestSection}` : ''}`,
  );
} finally {
  await admin.unsafe(`drop database if exists "${DB}" with (force)`);
  await admin.end();
}
