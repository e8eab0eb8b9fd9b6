/**
 * `node bench/applications.ts`: the app's peak resident memory while 8 applicants upload a 10 MB
 * document each at the same moment (issue 21: under 300 MB). The app runs as its own process with
 * the flags of `npm start` against a fresh PostgreSQL database (DATABASE_URL's server, default the
 * local one); its RSS is sampled from /proc every 20 ms. Writes bench/applications.json; the figures
 * are copied by hand into bench/APPLICATIONS.md.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { addDays, danishDate } from '../src/lib/dates.ts';
import { system } from '../src/lib/principal.ts';
import { createAccountService } from '../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../src/modules/municipalities/municipalities.service.ts';
import { startApp } from './start-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const UPLOADS = 8;
const FILE_BYTES = 10 * 1024 * 1024 - 1024;
const MAX_RSS_MB = 300;
const PORT = 3917;
const DB = 'samspil_applications_bench';
const given = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const withDb = (name: string) => {
  const u = new URL(given);
  u.pathname = `/${name}`;
  return u.toString();
};

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** A browser without a session applies to the round; returns the link's token and the form's cookie and token. */
async function apply(base: string, roundId: number, n: number) {
  const form = await fetch(`${base}/public/rounds/${roundId}/apply`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const res = await fetch(`${base}/public/rounds/${roundId}/apply`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, contactEmail: `bench${n}@example.dk`, intent: 'draft' }),
  });
  const token = /\/public\/applications\/([\w-]+)$/.exec(res.headers.get('location') ?? '')?.[1];
  if (!token) throw new Error(`no application: ${res.status}`);
  return { token, csrf, cookie };
}

async function main() {
  const admin = postgres(given, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB}`);
  await admin.unsafe(`create database ${DB}`);
  const url = withDb(DB);
  const database = await openDatabase({ kind: 'postgres', url });
  await migrateDatabase(database);
  const accounts = createAccountService(database.db, loadConfig({}), createMunicipalityService(database));
  await accounts.createUser(
    system,
    { email: 'bench@kk.dk', name: 'Bench', password: 'en lang adgangskode', role: 'finance', municipalityCode: 101 },
    { system: true },
  );
  await database.close();
  const sql = postgres(url, { max: 1 });
  const today = danishDate();
  const [round] =
    await sql`insert into grant_rounds (municipality_code, year, name, budget_ore, status, applications_open_on, applications_close_on)
    values (101, ${Number(today.slice(0, 4))}, 'Bench', 100000000, 'open', ${addDays(today, -1)}, ${addDays(today, 30)}) returning id`;
  await sql.end();

  let app: ChildProcess | undefined;
  try {
    const launched = await startApp(root, { url, port: PORT, env: { MAIL_SENDER: 'off' } });
    app = launched.app;
    const base = launched.base;
    const pid = app.pid as number;
    const applicants = [];
    for (let n = 0; n < UPLOADS; n++) applicants.push(await apply(base, round?.id as number, n));
    const file = Buffer.alloc(FILE_BYTES, 0x20);
    file.write('%PDF-1.7\n');
    const startRss = rssMb(pid);
    let peak = startRss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 20);
    const started = performance.now();
    const answers = await Promise.all(
      applicants.map(async (a, n) => {
        const body = new FormData();
        body.set('_csrf', a.csrf);
        body.set('kind', 'budget');
        body.set('file', new Blob([new Uint8Array(file)], { type: 'application/pdf' }), `budget-${n}.pdf`);
        const res = await fetch(`${base}/public/applications/${a.token}/documents`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: a.cookie },
          body,
        });
        return res.status;
      }),
    );
    const ms = Math.round(performance.now() - started);
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid));
    if (!answers.every((s) => s === 303)) throw new Error(`uploads answered ${answers.join(', ')}`);
    // And the 8 downloads at once, streamed out a piece at a time.
    let downloadPeak = rssMb(pid);
    const sampler2 = setInterval(() => {
      downloadPeak = Math.max(downloadPeak, rssMb(pid));
    }, 20);
    const check = postgres(url, { max: 1 });
    const docs = await check`select d.id, a.contact_email from application_documents d
      join applications a on a.id = d.application_id`;
    const docOf = (n: number) => docs.find((d) => d.contact_email === `bench${n}@example.dk`)?.id;
    await check.end();
    const sizes = await Promise.all(
      applicants.map(async (a, n) => {
        const res = await fetch(`${base}/public/applications/${a.token}/documents/${docOf(n)}`);
        return (await res.arrayBuffer()).byteLength;
      }),
    );
    clearInterval(sampler2);
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      database: 'PostgreSQL',
      uploads: UPLOADS,
      fileMiB: Number((FILE_BYTES / 1024 / 1024).toFixed(2)),
      uploadMs: ms,
      startRssMb: Math.round(startRss),
      peakRssMb: Math.round(peak),
      downloadPeakRssMb: Math.round(downloadPeak),
      downloadedBytes: sizes,
      underLimit: peak < MAX_RSS_MB && downloadPeak < MAX_RSS_MB,
    };
    console.log(JSON.stringify(results, null, 2));
    writeFileSync(join(root, 'bench', 'applications.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (!results.underLimit || !sizes.every((b) => b === FILE_BYTES)) process.exitCode = 1;
  } finally {
    app?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await admin.unsafe(`drop database if exists ${DB} with (force)`);
    await admin.end();
  }
}

await main();
