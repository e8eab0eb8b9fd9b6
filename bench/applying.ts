/**
 * `node bench/applying.ts` (Node 20: `npx tsx bench/applying.ts`): what applying costs, beside the
 * baseline the other benches use (bench/baseline.ts, a bare Fastify route rendering a 50-row eta
 * page). The app runs as its own process with the flags of `npm start` against a fresh PostgreSQL
 * database (DATABASE_URL's server, default the local one), with PAGE_CACHE_TTL_MS=0 so that every
 * public round page is rendered anew, as after any write.
 *
 * 1. autocannon at 32 connections for BENCH_SECONDS (default 10) against the baseline and against
 *    the public round page `/public/rounds/:id`.
 * 2. APPLICANTS applicants, CONCURRENCY at a time, each fetching the form, sending a complete
 *    application and uploading a 5 MB PDF to it; each step timed.
 *
 * Writes bench/applying.json and the table between the markers in bench/APPLICATIONS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { addDays, danishDate } from '../src/lib/dates.ts';
import { system } from '../src/lib/principal.ts';
import { createAccountService } from '../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../src/modules/municipalities/municipalities.service.ts';
import { startApp, startCommand } from './start-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP_PORT = 3921;
const BASE_PORT = 3922;
const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const APPLICANTS = Number(process.env.BENCH_APPLICANTS ?? 16);
const CONCURRENCY = 4;
const FILE_BYTES = 5 * 1024 * 1024;
const DB = 'samspil_questions_bench';
const given = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const withDb = (name: string) => {
  const u = new URL(given);
  u.pathname = `/${name}`;
  return u.toString();
};

/** The baseline as its own process, with the flags of `npm start` (tsx on Node before 23). */
function startBaseline(): ChildProcess {
  const start = startCommand(root);
  const loader = (process.versions.node.split('.').map(Number)[0] as number) >= 23 ? [] : ['--import', 'tsx'];
  return spawn(process.execPath, [...loader, ...start.flags, 'bench/baseline.ts'], {
    cwd: root,
    env: { ...process.env, ...start.env, PORT: String(BASE_PORT) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitFor(url: string) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

async function load(url: string) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  return {
    reqPerSec: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
};

/** One applicant: the form, a complete application sent, and a 5 MB PDF added to it; each step in ms. */
async function applicant(base: string, roundId: number, groupId: number, n: number, file: Uint8Array<ArrayBuffer>) {
  const t0 = performance.now();
  const form = await fetch(`${base}/public/rounds/${roundId}/apply`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const t1 = performance.now();
  const sent = await fetch(`${base}/public/rounds/${roundId}/apply`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      _csrf: csrf,
      applicantKind: 'organisation',
      organisationName: `Bænkforeningen ${n}`,
      cvr: '12345674',
      contactName: 'Bent Bænk',
      contactEmail: `bench${n}@example.dk`,
      contactPhone: '12345678',
      projectTitle: 'Fællesspisning',
      purpose: 'Vi laver mad sammen hver torsdag.',
      'targetGroups[0][targetGroupId]': String(groupId),
      'targetGroups[0][expectedParticipants]': '25',
      municipalityCodes: '101',
      periodFrom: '1.3.2027',
      periodTo: '31.12.2027',
      'budgetLines[0][text]': 'Råvarer',
      'budgetLines[0][amount]': '20.000',
      applied: '20.000',
      bankRegNo: '1234',
      bankAccountNo: '0012345678',
      consent: 'on',
      intent: 'submit',
    }),
  });
  const token = /\/public\/applications\/([\w-]+)$/.exec(sent.headers.get('location') ?? '')?.[1];
  if (sent.status !== 303 || !token)
    throw new Error(`application ${n} answered ${sent.status} ${sent.headers.get('location')}`);
  const t2 = performance.now();
  const body = new FormData();
  body.set('_csrf', csrf);
  body.set('kind', 'budget');
  body.set('file', new Blob([file], { type: 'application/pdf' }), `budget-${n}.pdf`);
  const uploaded = await fetch(`${base}/public/applications/${token}/documents`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body,
  });
  if (uploaded.status !== 303) throw new Error(`upload ${n} answered ${uploaded.status}`);
  const t3 = performance.now();
  return { form: t1 - t0, submit: t2 - t1, upload: t3 - t2, total: t3 - t0 };
}

async function main() {
  const admin = postgres(given, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB}`);
  await admin.unsafe(`create database ${DB}`);
  const url = withDb(DB);
  const database = await openDatabase({ kind: 'postgres', url });
  await migrateDatabase(database);
  // A user, so that the app is set up (with none, every page leads to /setup).
  const accounts = createAccountService(database.db, loadConfig({}), createMunicipalityService(database));
  await accounts.createUser(
    system,
    { email: 'bench@kk.dk', name: 'Bench', password: 'en lang adgangskode', role: 'finance', municipalityCode: 101 },
    { system: true },
  );
  await database.close();
  const sql = postgres(url, { max: 1 });
  const today = danishDate();
  const [round] = await sql`insert into grant_rounds (municipality_code, year, name, budget_ore, status,
      applications_open_on, applications_close_on, description)
    values (101, ${Number(today.slice(0, 4))}, 'Bænkpuljen', 100000000, 'open', ${addDays(today, -1)},
      ${addDays(today, 30)}, 'Puljen støtter fællesskaber for voksne i udsatte positioner.') returning id`;
  const [group] = await sql`select id from target_groups where municipality_code is null order by id limit 1`;
  await sql.end();
  const roundId = Number(round?.id);

  let app: ChildProcess | undefined;
  const baseline = startBaseline();
  try {
    const launched = await startApp(root, {
      url,
      port: APP_PORT,
      env: {
        MAIL_SENDER: 'off',
        PAGE_CACHE_TTL_MS: '0',
        APPLICATION_LIMIT_PER_IP: '100000',
        APPLICATION_LIMIT_PER_EMAIL: '100000',
      },
    });
    app = launched.app;
    await waitFor(`http://127.0.0.1:${BASE_PORT}/`);
    const page = `${launched.base}/public/rounds/${roundId}`;
    if ((await fetch(page)).status !== 200) throw new Error('the public round page does not answer 200');

    const baselineLoad = await load(`http://127.0.0.1:${BASE_PORT}/`);
    const roundPage = await load(page);

    const file = new Uint8Array(new ArrayBuffer(FILE_BYTES)).fill(0x20);
    file.set(new TextEncoder().encode('%PDF-1.7\n'));
    const steps: Awaited<ReturnType<typeof applicant>>[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < APPLICANTS) {
          const n = next++;
          steps.push(await applicant(launched.base, roundId, Number(group?.id), n, file));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const of = (k: keyof (typeof steps)[number]) => ({
      p50: percentile(
        steps.map((s) => s[k]),
        50,
      ),
      p95: percentile(
        steps.map((s) => s[k]),
        95,
      ),
    });
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, note: 'the machine was shared with other work' },
      database: 'PostgreSQL',
      connections: CONNECTIONS,
      seconds: SECONDS,
      baseline: baselineLoad,
      publicRoundPage: roundPage,
      submit: {
        applicants: APPLICANTS,
        concurrency: CONCURRENCY,
        documentMiB: FILE_BYTES / 1024 / 1024,
        applicantsPerSecond: Number((APPLICANTS / seconds).toFixed(2)),
        formMs: of('form'),
        submitMs: of('submit'),
        uploadMs: of('upload'),
        totalMs: of('total'),
      },
    };
    console.log(JSON.stringify(results, null, 2));
    writeFileSync(join(root, 'bench', 'applying.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFigures(results);
  } finally {
    app?.kill('SIGTERM');
    baseline.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await admin.unsafe(`drop database if exists ${DB} with (force)`);
    await admin.end();
  }
}

type Results = {
  at: string;
  machine: { cpus: number; node: string };
  baseline: Awaited<ReturnType<typeof load>>;
  publicRoundPage: Awaited<ReturnType<typeof load>>;
  submit: {
    applicants: number;
    concurrency: number;
    applicantsPerSecond: number;
    formMs: { p50: number; p95: number };
    submitMs: { p50: number; p95: number };
    uploadMs: { p50: number; p95: number };
    totalMs: { p50: number; p95: number };
  };
};

/** The table between the markers in bench/APPLICATIONS.md. */
function writeFigures(r: Results) {
  const file = join(root, 'bench', 'APPLICATIONS.md');
  const md = readFileSync(file, 'utf8');
  const start = '<!-- applying:start -->';
  const end = '<!-- applying:end -->';
  const row = (name: string, l: Results['baseline']) =>
    `| ${name} | ${l.reqPerSec} | ${l.p50} | ${l.p99} | ${l.errors + l.non2xx} |`;
  const s = r.submit;
  const table = [
    start,
    `Measured ${r.at.slice(0, 10)} on ${r.machine.cpus} cores **shared with other work (the machine was busy:`,
    'other agents ran tests and builds at the same time)**, Node ' +
      `${r.machine.node}, PostgreSQL; one run. ${CONNECTIONS} connections, ${SECONDS} s each.`,
    '',
    '| page | requests/s | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|',
    row('baseline (bare Fastify, 50-row eta page)', r.baseline),
    row('public round page `/public/rounds/:id`, rendered anew', r.publicRoundPage),
    '',
    `${s.applicants} applicants, ${s.concurrency} at a time, each: the form, a complete application sent,`,
    `a 5 MB PDF added: ${s.applicantsPerSecond} applicants a second.`,
    '',
    '| step | p50 ms | p95 ms |',
    '|---|---|---|',
    `| GET the form | ${s.formMs.p50} | ${s.formMs.p95} |`,
    `| POST the application (sent, receipt queued) | ${s.submitMs.p50} | ${s.submitMs.p95} |`,
    `| POST the 5 MB document | ${s.uploadMs.p50} | ${s.uploadMs.p95} |`,
    `| all three | ${s.totalMs.p50} | ${s.totalMs.p95} |`,
    end,
  ].join('\n');
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  writeFileSync(
    file,
    i >= 0 && j > i ? md.slice(0, i) + table + md.slice(j + end.length) : `${md.trimEnd()}\n\n${table}\n`,
  );
}

await main();
