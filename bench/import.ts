/**
 * `npm run bench:import` (and the end of `npm run bench`): a 1,000,000-row grant CSV checked and
 * imported through the API into a fresh PostgreSQL database, against `psql \copy` of the same file
 * into a bare table in the same run, sampling the app process's RSS (its reader thread included).
 * Then the same file again, matched against the million grants it registered, which must create
 * nothing. IMPORT_ROWS sets another size.
 *
 * The app runs as its own process with the flags of `npm start`. Figures go to bench/import.json
 * and bench/IMPORT.md.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { system } from '../src/lib/principal.ts';
import { createAccountService } from '../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../src/modules/municipalities/municipalities.service.ts';
import { grantCsv } from './grant-csv.ts';
import { startApp } from './start-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = Number(process.env.IMPORT_ROWS ?? 1_000_000);
/** The app's resident memory must stay under this, whatever the file (issue 16). */
const MAX_RSS_MB = 300;
const PORT = 3913;
const DB = 'samspil_import_bench';
const given = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const withDb = (name: string) => {
  const u = new URL(given);
  u.pathname = `/${name}`;
  return u.toString();
};
const url = withDb(DB);

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Run {
  rows: number;
  checkedMs: number;
  totalMs: number;
  rowsPerSec: number;
  created: number;
  updated: number;
  skipped: number;
  /** The app's RSS when the upload began. */
  startRssMb: number;
  /** The peak while the upload was stored, read and checked (until its answer). */
  checkPeakRssMb: number;
  peakRssMb: number;
}

/** Uploads the file and waits for the import to finish, sampling the app's memory meanwhile. */
async function importOnce(app: ChildProcess, base: string, token: string, file: Buffer): Promise<Run> {
  const form = new FormData();
  form.set('kind', 'grants');
  form.set('file', new Blob([new Uint8Array(file)]), 'bevillinger.csv');
  const startRss = rssMb(app.pid as number);
  let peak = startRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(app.pid as number));
  }, 50);
  const started = performance.now();
  try {
    const res = await fetch(`${base}/api/v1/imports`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${token}` },
    });
    const item = (await res.json()) as { id: number; status: string; problems?: unknown[] };
    const checkedMs = performance.now() - started;
    const checkPeak = Math.max(peak, rssMb(app.pid as number));
    if (res.status !== 201 || item.status !== 'queued')
      throw new Error(`the import was not queued: ${res.status} ${JSON.stringify(item).slice(0, 500)}`);
    for (;;) {
      const now = (await (
        await fetch(`${base}/api/v1/imports/${item.id}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { status: string; createdCount: number; updatedCount: number; skippedCount: number };
      if (now.status !== 'queued') {
        if (now.status !== 'done')
          throw new Error(`the import ended ${now.status}: ${JSON.stringify(now).slice(0, 500)}`);
        const totalMs = performance.now() - started;
        return {
          rows: ROWS,
          checkedMs: Math.round(checkedMs),
          totalMs: Math.round(totalMs),
          rowsPerSec: Math.round(ROWS / (totalMs / 1000)),
          created: now.createdCount,
          updated: now.updatedCount,
          skipped: now.skippedCount,
          startRssMb: Math.round(startRss),
          checkPeakRssMb: Math.round(checkPeak),
          peakRssMb: Math.round(peak),
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(sampler);
  }
}

async function main() {
  const admin = postgres(given, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${DB}" with (force)`);
  await admin.unsafe(`create database "${DB}"`);
  let app: ChildProcess | undefined;
  try {
    const database = await openDatabase({ kind: 'postgres', url });
    let token: string;
    let groups: string[];
    try {
      await migrateDatabase(database);
      const accounts = createAccountService(database.db, loadConfig({}), createMunicipalityService(database));
      const user = await accounts.createUser(
        system,
        {
          email: 'import@samspil.dk',
          name: 'Import',
          password: 'en lang adgangskode',
          role: 'finance',
          municipalityCode: 101,
        },
        { system: true },
      );
      token = (await accounts.createApiToken(system, user.id, 'bench')).token;
      groups = (
        await database.rows<{ name_da: string }>(
          sql`select distinct on (lower(name_da)) name_da from target_groups
              where municipality_code is null and level >= 2 order by lower(name_da), id limit 40`,
        )
      ).map((g) => g.name_da);
    } finally {
      await database.close();
    }

    const dir = join(root, 'bench', '.data');
    mkdirSync(dir, { recursive: true });
    const csvPath = join(dir, `grants-${ROWS}.csv`);
    const file = Buffer.from(grantCsv({ rows: ROWS, groups }));
    writeFileSync(csvPath, file);
    console.log(`# ${ROWS} rows, ${(file.length / 1024 / 1024).toFixed(1)} MiB`);

    // psql \copy of the same file into a bare table of text columns: the floor for moving the bytes.
    spawnSync('psql', [
      url,
      '-qc',
      'create table bare_grants (ref text, actor text, cvr text, title text, year text, requested text, awarded text, target_group text, decided text)',
    ]);
    const copyStart = performance.now();
    const copy = spawnSync('psql', [
      url,
      '-qc',
      `\\copy bare_grants from '${csvPath}' with (format csv, header true, delimiter ';')`,
    ]);
    const copyMs = Math.round(performance.now() - copyStart);
    if (copy.status !== 0) throw new Error(`psql \\copy failed: ${copy.stderr}`);
    console.log(`# psql \\copy: ${copyMs} ms`);

    const started = await startApp(root, { url, port: PORT });

    app = started.app;

    const base = started.base;
    const first = await importOnce(app, base, token, file);
    console.log(`# first import: ${JSON.stringify(first)}`);
    const second = await importOnce(app, base, token, file);
    console.log(`# the same file again: ${JSON.stringify(second)}`);

    const check = postgres(url, { max: 1 });
    const [counts] = await check`select (select count(*)::int from grants) as grants,
      (select count(distinct external_ref)::int from grants) as refs,
      (select count(*)::int from grant_allocations) as allocations,
      (select count(*)::int from actors) as actors,
      (select count(*)::int from audit_log where entity = 'grant') as audited`;
    await check.end();
    console.log(`# in the database: ${JSON.stringify(counts)}`);

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      rows: ROWS,
      fileMiB: Number((file.length / 1024 / 1024).toFixed(1)),
      psqlCopyMs: copyMs,
      first: { ...first, ratioToCopy: Number((first.totalMs / copyMs).toFixed(1)) },
      second: { ...second, ratioToCopy: Number((second.totalMs / copyMs).toFixed(1)) },
      database: counts,
      target: { maxRssMb: MAX_RSS_MB, met: Math.max(first.peakRssMb, second.peakRssMb) < MAX_RSS_MB },
    };
    writeFileSync(join(root, 'bench', 'import.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(
      join(root, 'bench', 'IMPORT.md'),
      `# Import benchmark

\`npm run bench:import\` on ${cpus().length} cores, Node ${process.version}, PostgreSQL (${results.at.slice(0, 10)}).
A ${ROWS.toLocaleString('en')}-row grant CSV (${results.fileMiB} MiB, semicolons, Danish amounts and dates,
${counts?.actors} actors of which half have a CVR number, 5 years) through \`POST /api/v1/imports\` into a
fresh database, timed from the upload to \`done\`. The app runs as \`npm start\` runs it (the same Node flags and malloc settings), on Node ${process.versions.node}.

| Run | Checked (ms) | Done (ms) | Rows/s | Created | Updated | Skipped | × psql \\copy | RSS before (MB) | Peak RSS checking (MB) | Peak RSS (MB) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| First import | ${first.checkedMs} | ${first.totalMs} | ${first.rowsPerSec} | ${first.created} | ${first.updated} | ${first.skipped} | ${results.first.ratioToCopy} | ${first.startRssMb} | ${first.checkPeakRssMb} | ${first.peakRssMb} |
| Same file again | ${second.checkedMs} | ${second.totalMs} | ${second.rowsPerSec} | ${second.created} | ${second.updated} | ${second.skipped} | ${results.second.ratioToCopy} | ${second.startRssMb} | ${second.checkPeakRssMb} | ${second.peakRssMb} |

- \`psql \\copy\` of the same file into a bare table of text columns, in the same run: **${copyMs} ms**.
- Target: the app's RSS under ${MAX_RSS_MB} MB throughout, on PostgreSQL: **${results.target.met ? 'met' : 'not met'}**
  (peak ${Math.max(first.peakRssMb, second.peakRssMb)} MB, sampled every 50 ms).
- The first import took ${(first.totalMs / 1000).toFixed(1)} s, ${results.first.ratioToCopy} × \`psql \\copy\`.
- "Checked" is the upload answer: the file stored, every row read and matched, the import queued.
  "Done" includes it, and the background run that reads the file again (twice: once to check, inside
  the municipality's import lock, once to write) and writes every row, its target-group allocation and
  its audit entry in one transaction. The file is never held whole: it is stored in the database in
  256 KB pieces and read from a temporary file a batch at a time (a CSV file in the web process, an
  XLSX workbook in a reader thread with a heap limit of its own).
- Afterwards: ${counts?.grants} grants (${counts?.refs} distinct case numbers), ${counts?.allocations} allocations,
  ${counts?.audited} audit entries for grants.
`,
    );
  } finally {
    app?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await admin.unsafe(`drop database if exists "${DB}" with (force)`);
    await admin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
