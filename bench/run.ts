/**
 * `npm run bench`: the national-scale benchmark.
 *
 * 1. The database: DATABASE_URL (PostgreSQL, where the targets apply) or a PGlite directory under
 *    bench/.data. An empty database gets the national data set first (`bench-data`).
 * 2. The app runs as its own process (`src/server.ts`); autocannon runs here, a separate process,
 *    at 32 connections against each scenario, after a baseline: a bare Fastify route rendering a
 *    50-row eta page (bench/baseline.ts), also its own process.
 * 3. Each report is timed against its bare SQL in the same run.
 * 4. The figures go to bench/results.json and bench/RESULTS.md, with the machine and versions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { loadConfig } from '../src/config.ts';
import { SCALES, writeBenchData } from '../src/db/bench-data.ts';
import { openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { system } from '../src/lib/principal.ts';
import { createAccountService } from '../src/modules/accounts/accounts.service.ts';
import { createMunicipalityService } from '../src/modules/municipalities/municipalities.service.ts';
import { proportionalityQuery, type ReportParams } from '../src/modules/reports/reports.repository.ts';
import { BENCH_USER } from './national.ts';
import { cpuMs } from './proc.ts';
import { startCommand } from './start-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP_PORT = 3911;
const BASE_PORT = 3912;
/** The same app with no rendered page reused (PAGE_CACHE_TTL_MS=0): what each page costs when a write has just ended its reuse. */
const FRESH_PORT = 3913;
const CONNECTIONS = 32;
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const YEAR = 2026;
const { email: EMAIL, password: PASSWORD } = BENCH_USER;

const env = {
  ...process.env,
  DATA_DIR: process.env.DATA_DIR ?? join(root, 'bench', '.data'),
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
};

function start(script: string, port: number, extraEnv: Record<string, string> = {}): ChildProcess {
  // The same Node flags as `npm start` and the Docker image.
  const start = startCommand(root);
  const child = spawn(process.execPath, [...start.flags, script], {
    cwd: root,
    env: { ...env, ...start.env, PORT: String(port), HOST: '127.0.0.1', ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function waitFor(url: string, seconds = 60) {
  for (let i = 0; i < seconds * 10; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

/** The app's resident memory, read from /proc while it runs. */
function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU time of all PostgreSQL server processes on this machine (the bench's database is local). */
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) total += cpuMs(pid);
    } catch {}
  }
  return total;
}

/** A floor scenario shows the app's common path; the targets are the other read pages'. */
type Kind = 'read' | 'write' | 'floor' | 'compressed';

interface Result {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  ratio?: number;
  /** The same scenario with no rendered page reused (PAGE_CACHE_TTL_MS=0). */
  fresh?: Omit<Result, 'name' | 'kind' | 'fresh'>;
  /** CPU time per request of the app process and of PostgreSQL, in ms. */
  appCpuMs?: number;
  dbCpuMs?: number;
  kind?: Kind;
}

async function load(
  name: string,
  url: string,
  opts: Partial<autocannon.Options> = {},
  kind: Kind = 'read',
  appPid?: number,
): Promise<Result> {
  const app0 = appPid ? cpuMs(appPid) : 0;
  const db0 = postgresCpuMs();
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...opts });
  const perRequest = (ms: number) => Math.round((ms / Math.max(1, r.requests.total)) * 100) / 100;
  return {
    name,
    reqPerSec: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    ...(appPid ? { appCpuMs: perRequest(cpuMs(appPid) - app0), dbCpuMs: perRequest(postgresCpuMs() - db0) } : {}),
    kind,
  };
}

async function main() {
  const config = loadConfig(env);
  const database = await openDatabase(config.database);
  let agreementIds: number[] = [];
  let actorId = 0;
  let roundId = 0;
  let apiToken = '';
  try {
    await migrateDatabase(database);
    const [{ n } = { n: 0 }] = await database.rows<{ n: number }>(sql`select count(*)::int as n from grants`);
    if (Number(n) === 0) {
      const started = Date.now();
      console.log('# writing the national data set …');
      const counts = await writeBenchData(database, SCALES.national as (typeof SCALES)['national']);
      console.log(`# written in ${((Date.now() - started) / 1000).toFixed(1)} s`, counts);
    }
    const accounts = createAccountService(database.db, config, createMunicipalityService(database));
    if (!(await accounts.findUserByEmail(EMAIL)))
      await accounts.createUser(
        system,
        { email: EMAIL, name: 'Benchmark', password: PASSWORD, role: 'admin', municipalityCode: 101 },
        { system: true },
      );
    const benchUser = await accounts.findUserByEmail(EMAIL);
    apiToken = (await accounts.createApiToken(system, benchUser?.id ?? 0, 'bench')).token;
    const [ids] = await database.rows<{ agreement: number; actor: number; round: number }>(sql`select
      (select min(id) from agreements where municipality_code = 101 and status = 'active') as agreement,
      (select min(id) from actors where home_municipality_code = 101) as actor,
      (select id from grant_rounds where municipality_code = 101 and year = ${YEAR}) as round`);
    // The meetings are logged across the municipality's active agreements, as its coordinators would:
    // on one agreement alone its page would grow by every meeting of every run.
    agreementIds = (
      await database.rows<{ id: number }>(
        sql`select id from agreements where municipality_code = 101 and status = 'active' order by id limit 300`,
      )
    ).map((r) => Number(r.id));
    if (!agreementIds.length) agreementIds = [Number(ids?.agreement)];
    actorId = Number(ids?.actor);
    roundId = Number(ids?.round);
  } finally {
    await database.close();
  }

  const baseline = start('bench/baseline.ts', BASE_PORT);
  const app = start('src/server.ts', APP_PORT);
  let fresh: ChildProcess | undefined;
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(app.pid ?? 0), rssMb(fresh?.pid ?? 0));
  }, 200);
  try {
    await waitFor(`http://127.0.0.1:${BASE_PORT}/`);
    await waitFor(`http://127.0.0.1:${APP_PORT}/readyz`);

    // Sign in as a browser would: the pre-session CSRF token, then the form.
    const pre = await fetch(`http://127.0.0.1:${APP_PORT}/login`);
    const preCookie = (pre.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const preCsrf = /name="_csrf" value="([^"]+)"/.exec(await pre.text())?.[1] ?? '';
    const login = await fetch(`http://127.0.0.1:${APP_PORT}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: preCookie },
      body: new URLSearchParams({ email: EMAIL, password: PASSWORD, _csrf: preCsrf }).toString(),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    if (login.status !== 303 || !cookie) throw new Error(`sign-in failed: ${login.status}`);
    const home = await (await fetch(`http://127.0.0.1:${APP_PORT}/`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
    const headers = { cookie };
    const a = (path: string) => `http://127.0.0.1:${APP_PORT}${path}`;

    const base = await load(
      'baseline: bare Fastify + eta, 50 rows',
      `http://127.0.0.1:${BASE_PORT}/`,
      {},
      'read',
      baseline.pid,
    );
    const scenarios: Result[] = [];
    const run = async (name: string, path: string, opts: Partial<autocannon.Options> = {}, kind: Kind = 'read') => {
      const r = await load(name, a(path), { headers, ...opts }, kind, app.pid);
      r.ratio = Math.round((r.reqPerSec / base.reqPerSec) * 1000) / 1000;
      scenarios.push(r);
      console.log(
        `# ${name}: ${r.reqPerSec} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}, CPU per request: app ${r.appCpuMs} ms, PostgreSQL ${r.dbCpuMs} ms`,
      );
    };
    console.log(`# baseline: ${base.reqPerSec} req/s, p50 ${base.p50} ms, p99 ${base.p99} ms`);
    await run('floor: a page of reference data (target groups)', '/target-groups', {}, 'floor');
    const reads: [string, string, Partial<autocannon.Options>?][] = [
      ['home page (follow-up)', '/'],
      ['actor list, filtered', '/actors?q=Foreningen&municipalityCode=101'],
      ['actor page', `/actors/${actorId}`],
      ['grant list, filtered', `/grants?year=${YEAR}&municipalityCode=101&status=approved`],
      ['round overview', `/grant-rounds/${roundId}`],
      ['proportionality, one municipality', `/reports/proportionality?area=municipality:101&year=${YEAR}`],
      ['proportionality, the whole country', `/reports/proportionality?area=national&year=${YEAR}`],
      ['shared actors, a region', `/reports/shared-actors?regionCode=1084&year=${YEAR}`],
      [
        'htmx partial: actor search',
        '/actors?q=Havnen',
        { headers: { ...headers, 'hx-request': 'true', 'hx-target': 'actor-results' } },
      ],
    ];
    for (const [name, path, opts] of reads) await run(name, path, opts);
    let nextAgreement = 0;
    await run(
      'write: log a status meeting',
      `/agreements/${agreementIds[0]}/meetings`,
      {
        method: 'POST',
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              path: `/agreements/${agreementIds[nextAgreement++ % agreementIds.length]}/meetings`,
            }),
          },
        ],
        // As htmx sends it: the answer is the meetings section (200), not a redirect.
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          'x-csrf-token': csrf,
          'hx-request': 'true',
        },
        body: new URLSearchParams({ heldOn: '2026-11-01', notes: 'Benchmark-møde', _csrf: csrf }).toString(),
        expectBody: undefined,
      },
      'write',
    );

    // What each heavy page weighs plain, compressed, and what compressing it costs.
    const compression = await compressionFigures(a, headers, [
      ['proportionality, the whole country', `/reports/proportionality?area=national&year=${YEAR}`],
      ['shared actors, a region', `/reports/shared-actors?regionCode=1084&year=${YEAR}`],
      ['actor page', `/actors/${actorId}`],
      ['actor list, filtered', '/actors?q=Foreningen&municipalityCode=101'],
      ['round overview', `/grant-rounds/${roundId}`],
      ['home page (follow-up)', '/'],
    ]);
    // The national report again under load, asking for brotli as browsers do: compression is paid per response.
    await run(
      'proportionality, the whole country, brotli',
      `/reports/proportionality?area=national&year=${YEAR}`,
      { headers: { ...headers, 'accept-encoding': 'br' } },
      'compressed',
    );

    // Each report against its bare SQL, one request at a time, in the same run.
    const reportVsSql = await reportsAgainstSql(config, a, { authorization: `Bearer ${apiToken}` }, headers);

    // The read pages again on the same data and session, with no rendered page reused.
    app.kill('SIGTERM');
    fresh = start('src/server.ts', FRESH_PORT, { PAGE_CACHE_TTL_MS: '0' });
    await waitFor(`http://127.0.0.1:${FRESH_PORT}/readyz`);
    for (const [name, path, opts] of reads) {
      const r = await load(name, `http://127.0.0.1:${FRESH_PORT}${path}`, { headers, ...opts }, 'read', fresh.pid);
      const kept = scenarios.find((s) => s.name === name);
      if (!kept) continue;
      const { name: _n, kind: _k, ...figures } = r;
      kept.fresh = { ...figures, ratio: Math.round((r.reqPerSec / base.reqPerSec) * 1000) / 1000 };
      console.log(
        `# ${name}, rendered anew: ${r.reqPerSec} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}, CPU per request: app ${r.appCpuMs} ms, PostgreSQL ${r.dbCpuMs} ms`,
      );
    }

    const versions = {
      node: process.version,
      postgres:
        config.database.kind === 'postgres' ? await serverVersion(config.database.url) : 'PGlite (PostgreSQL 18, WASM)',
      fastify: pkgVersion('fastify'),
      drizzle: pkgVersion('drizzle-orm'),
      autocannon: pkgVersion('autocannon'),
    };
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      database: config.database.kind,
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      peakRssMb: Math.round(peakRss),
    };
    const results = {
      machine,
      versions,
      baseline: {
        name: base.name,
        reqPerSec: base.reqPerSec,
        p50: base.p50,
        p99: base.p99,
        errors: base.errors,
        non2xx: base.non2xx,
        appCpuMs: base.appCpuMs,
      },
      scenarios,
      reportsVsSql: reportVsSql,
      compression,
      measuredAt: new Date().toISOString(),
    };
    writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(root, 'bench', 'RESULTS.md'), markdown(results, scenarios));
    console.log(`# peak RSS of the app: ${Math.round(peakRss)} MB; written bench/results.json and bench/RESULTS.md`);
  } finally {
    clearInterval(sampler);
    app.kill('SIGTERM');
    fresh?.kill('SIGTERM');
    baseline.kill('SIGTERM');
  }
}

function pkgVersion(name: string): string {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

async function serverVersion(url: string): Promise<string> {
  const { default: postgres } = await import('postgres');
  const client = postgres(url, { max: 1 });
  try {
    const [row] = await client`show server_version`;
    return `PostgreSQL ${row?.server_version}`;
  } finally {
    await client.end();
  }
}

/** A response's body as sent (not decompressed), and its Content-Encoding. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ bytes: Buffer; encoding: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ bytes: Buffer.concat(chunks), encoding: String(res.headers['content-encoding'] ?? '') }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

interface CompressionRow {
  name: string;
  plainBytes: number;
  /** The same HTML with each run of line breaks and indentation made one line break: about what withoutIndentation saved. */
  unindentedBytes: number;
  brotliBytes: number;
  gzipBytes: number;
  /** CPU to compress the page once, median of 21, as the app does (brotli quality 4, gzip level 6). */
  brotliMs: number;
  gzipMs: number;
}

/** Each page fetched plain, with brotli and with gzip, and compressed here to time it. */
async function compressionFigures(
  a: (path: string) => string,
  headers: Record<string, string>,
  pages: [string, string][],
): Promise<CompressionRow[]> {
  const out: CompressionRow[] = [];
  for (const [name, path] of pages) {
    const plain = await rawGet(a(path), { ...headers, 'accept-encoding': 'identity' });
    const br = await rawGet(a(path), { ...headers, 'accept-encoding': 'br' });
    const gz = await rawGet(a(path), { ...headers, 'accept-encoding': 'gzip' });
    if (plain.encoding || br.encoding !== 'br' || gz.encoding !== 'gzip')
      throw new Error(`${path}: not compressed as asked (${plain.encoding}/${br.encoding}/${gz.encoding})`);
    const brotliMs = await median(21, async () =>
      brotliCompressSync(plain.bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }),
    );
    const gzipMs = await median(21, async () => gzipSync(plain.bytes, { level: 6 }));
    const row = {
      name,
      plainBytes: plain.bytes.length,
      unindentedBytes: Buffer.byteLength(plain.bytes.toString().replace(/\n[ \t\n]*/g, '\n')),
      brotliBytes: br.bytes.length,
      gzipBytes: gz.bytes.length,
      brotliMs,
      gzipMs,
    };
    out.push(row);
    console.log(
      `# ${name}: ${row.plainBytes} B plain, ${row.unindentedBytes} B unindented, ${row.brotliBytes} B brotli (${brotliMs} ms), ${row.gzipBytes} B gzip (${gzipMs} ms)`,
    );
  }
  return out;
}

/** Median of n sequential runs of a job, in ms. */
async function median(n: number, job: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await job();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return Math.round((times[Math.floor(n / 2)] ?? 0) * 10) / 10;
}

async function reportsAgainstSql(
  config: ReturnType<typeof loadConfig>,
  a: (path: string) => string,
  apiHeaders: Record<string, string>,
  headers: Record<string, string>,
) {
  const cases: [string, ReportParams, string][] = [
    [
      'one municipality',
      { scope: { kind: 'municipality', code: 101 }, yearFrom: YEAR, yearTo: YEAR, threshold: 0.5 },
      `municipalityCode=101&year=${YEAR}`,
    ],
    [
      'the whole country',
      { scope: { kind: 'national' }, yearFrom: YEAR, yearTo: YEAR, threshold: 0.5 },
      `scope=national&year=${YEAR}`,
    ],
  ];
  if (config.database.kind !== 'postgres') return [];
  const { default: postgres } = await import('postgres');
  const client = postgres(config.database.url, { max: 1, connection: { jit: 'off' } });
  const dialect = new PgDialect();
  const out = [];
  try {
    for (const [name, params, query] of cases) {
      const q = dialect.sqlToQuery(proportionalityQuery(params));
      const bare = await median(21, () => client.unsafe(q.sql, q.params as never[]));
      const api = await median(21, () =>
        fetch(a(`/api/v1/reports/proportionality?${query}`), { headers: apiHeaders }).then((r) => {
          if (r.status !== 200) throw new Error(`report API: ${r.status}`);
          return r.text();
        }),
      );
      const page = await median(21, () =>
        fetch(
          a(
            `/reports/proportionality?area=${params.scope.kind === 'national' ? 'national' : 'municipality:101'}&year=${YEAR}`,
          ),
          { headers },
        ).then((r) => r.text()),
      );
      out.push({ name, bareSqlMs: bare, apiMs: api, pageMs: page, apiRatio: Math.round((api / bare) * 100) / 100 });
      console.log(`# report, ${name}: bare SQL ${bare} ms, API ${api} ms, page ${page} ms`);
    }
  } finally {
    await client.end();
  }
  return out;
}

function markdown(
  r: {
    machine: Record<string, unknown>;
    versions: Record<string, string>;
    baseline: { reqPerSec: number; p50: number; p99: number; appCpuMs?: number };
    reportsVsSql: { name: string; bareSqlMs: number; apiMs: number; pageMs: number; apiRatio: number }[];
    compression?: CompressionRow[];
    compressionMeasuredAt?: string;
    measuredAt: string;
  },
  scenarios: Result[],
): string {
  const meets = (s: Result) => s.kind !== 'write' && s.p99 < 100 && (s.ratio ?? 0) >= 0.2 && s.errors === 0;
  const verdict = (s: Result) =>
    s.kind === 'write' || s.kind === 'floor' || s.kind === 'compressed' ? s.kind : meets(s) ? 'yes' : 'no';
  const row = (s: Result) =>
    `| ${s.name} | ${s.reqPerSec} | ${s.p50} | ${s.p99} | ${s.errors} | ${s.non2xx} | ${s.ratio?.toFixed(3) ?? ''} | ${
      s.appCpuMs ?? ''
    } | ${s.dbCpuMs ?? ''} | ${verdict(s)} |`;
  const freshRow = (s: Result) =>
    s.fresh
      ? `| ${s.name} | ${s.fresh.reqPerSec} | ${s.fresh.p50} | ${s.fresh.p99} | ${s.fresh.errors} | ${s.fresh.non2xx} | ${
          s.fresh.ratio?.toFixed(3) ?? ''
        } | ${s.fresh.appCpuMs ?? ''} | ${s.fresh.dbCpuMs ?? ''} |`
      : '';
  const reads = scenarios.filter((s) => (s.kind ?? 'read') === 'read');
  const met = reads.filter(meets);
  const p99Met = reads.filter((s) => s.p99 < 100);
  return `# Benchmark results

Measured by \`npm run bench\` on ${r.measuredAt}: the app as its own process on the national data set
(98 municipalities × 10 years, 5,000 actors, 200,000 grants, 10,000 agreements, 40,000 meetings),
autocannon in another process at ${r.machine.connections} connections for ${r.machine.durationSeconds} s per
scenario, signed in as an admin of København. The baseline is a bare Fastify route rendering a 50-row eta
page, measured in the same run.

**Machine:** ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GiB; database: ${r.machine.database}.
**Versions:** Node ${r.versions.node}, ${r.versions.postgres}, Fastify ${r.versions.fastify}, drizzle-orm ${r.versions.drizzle}, autocannon ${r.versions.autocannon}.
**Peak RSS of the app during the run:** ${r.machine.peakRssMb} MB (target: under 300 MB).

Targets for read pages: p99 under 100 ms, at least 20 % of the baseline's requests per second, no errors.
The CPU columns are the CPU time the app process and PostgreSQL spent per request during the scenario
(from /proc): with two cores shared by the app, PostgreSQL and autocannon, they bound what a page can do.

| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | ratio to baseline | app CPU ms/req | PostgreSQL CPU ms/req | meets targets |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
| baseline | ${r.baseline.reqPerSec} | ${r.baseline.p50} | ${r.baseline.p99} | 0 | 0 | 1.000 | ${r.baseline.appCpuMs ?? ''} | | |
${scenarios.map(row).join('\n')}

**${met.length} of the ${reads.length} read pages meet both targets**${met.length ? ` (${met.map((s) => s.name).join('; ')})` : ''}; ${p99Met.length} of them answer with p99 under 100 ms. The floor is not one of them: it is a signed-in page rendered in full for each request, from reused data.

## The same pages rendered anew

The read pages again, on the same data and session, against the app started with
\`PAGE_CACHE_TTL_MS=0\`: every request reads its rows and renders its page, as the first request after
a write does. Sessions, reference data and the reports' figures are still reused.

| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | ratio to baseline | app CPU ms/req | PostgreSQL CPU ms/req |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${scenarios
  .filter((s) => s.fresh)
  .map(freshRow)
  .join('\n')}

## The reports against their bare SQL

Median of 21 sequential runs each; the API must answer within 1.5 × its bare SQL. Targets: one
municipality under 50 ms, the whole country under 500 ms.

| report | bare SQL ms | API ms | page ms | API ÷ SQL |
|---|---:|---:|---:|---:|
${r.reportsVsSql.map((x) => `| ${x.name} | ${x.bareSqlMs} | ${x.apiMs} | ${x.pageMs} | ${x.apiRatio} |`).join('\n')}

## Compression

Responses go out compressed with brotli (quality 4) or gzip (level 6), as the client asks, when they are
over 1 KB (\`@fastify/compress\`); XLSX and images as they are. Templates are rendered as written: the
"unindented" column is the same page with its indentation and blank lines taken out, about what the
former \`withoutIndentation\` saved. The CPU columns are one compression of the page, median of 21, on
the bench's machine; it is paid for every response, kept pages included (the brotli scenario in the
first table measures it under load).${r.compressionMeasuredAt ? ` Measured apart from the tables above: ${r.compressionMeasuredAt}.` : ''}

| page | plain bytes | unindented bytes | brotli bytes | gzip bytes | brotli ms | gzip ms |
|---|---:|---:|---:|---:|---:|---:|
${(r.compression ?? [])
  .map(
    (c) =>
      `| ${c.name} | ${c.plainBytes} | ${c.unindentedBytes} | ${c.brotliBytes} | ${c.gzipBytes} | ${c.brotliMs} | ${c.gzipMs} |`,
  )
  .join('\n')}

## Reading the figures

At ${r.machine.connections} connections a page's latency is about the connections times its cost, divided by what
the cores give it: a page must cost well under 1 ms of the app's CPU to answer at 20 % of the baseline,
which renders a small template with no session, no database and no layout. The floor scenario is a
signed-in page rendered in full for each request from reused data (the target-group tree): it shows what
the session, the layout and the navigation cost with a page of their own.

What is reused, and for how long: sessions and API keys, the target groups, the municipalities, the
navigation's counts, the reports' figures, and the rendered content of the read pages above
(\`reply.page(template, data, { cache })\`: per URL, language, role, municipality, htmx target and day,
and per user for the follow-up page), in one LRU (\`lru-cache\`, bounded by entries and bytes), each
until a write touches what it depends on, and for at most 10 s (\`PAGE_CACHE_TTL_MS\`). Every write is
audited, and the audit record notifies every process of the municipalities and kinds written
(migrations 0011 and 0018): a write in one municipality drops that municipality's pages and the
region and national reports covering it, not another municipality's; a write to the actor register,
the target groups or the municipalities drops what shows them. Only the layout, with the user's own name, CSRF token and counts, is rendered for
each request. The first table asks for one page again and again between writes, so it measures reused
content; the second table is what a page costs when a write has just ended its reuse. Under a steady
stream of writes a page is rendered anew once per write at most, however many ask for it. The machine's
speed varies between runs (the baseline has measured 4,000–25,000 requests/s on machines of this kind),
so compare the ratios rather than runs.

Earlier runs and what changed between them: [HISTORY.md](HISTORY.md). Imports: [IMPORT.md](IMPORT.md).
`;
}

/** `node bench/run.ts --markdown`: bench/RESULTS.md again from bench/results.json. */
if (process.argv.includes('--markdown')) {
  const saved = JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8'));
  writeFileSync(join(root, 'bench', 'RESULTS.md'), markdown(saved, saved.scenarios));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
