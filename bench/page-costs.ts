/**
 * Where a page rendered anew spends its time (issue 17), one page at a time, on DATABASE_URL (the
 * national data set, `npm run bench` run once for its user):
 *   node bench/page-costs.ts load [name ...]     each page from a freshly vacuumed database: the app as its
 *       own process with PAGE_CACHE_TTL_MS=0 and --cpu-prof (not with COSTS_PROFILE=0), autocannon at 32 connections for
 *       COSTS_REQUESTS requests (400) after COSTS_WARM_UP (150); the app's CPU per request (/proc) and
 *       that of the PostgreSQL backends serving this database only (not the machine's other
 *       databases); the profile's top functions by self time, and by package.
 *   node bench/page-costs.ts explain [name ...]  the app in this process: each query the page sends,
 *       with EXPLAIN (ANALYZE, BUFFERS) of the slowest.
 * Without names, the eleven pages of the issue's targets; the pages across every municipality (the
 * national grant lists, the audit trail) are measured when named.
 * Figures go to bench/.costs/<mode>.json (not kept in git) and are summarised on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { system } from '../src/lib/principal.ts';
import { costPages, type Page, pageLoad } from './cost-pages.ts';
import { BENCH_USER, signInBenchUser } from './national.ts';
import { cpuMs, cpuSplitMs } from './proc.ts';
import { startCommand } from './start-flags.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The tree whose app is measured (another checkout, to measure the code before a change). */
const appRoot = process.env.COSTS_APP_ROOT ?? root;
const out = join(root, 'bench', '.costs');
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to the national data set on PostgreSQL');
const PORT = 3921;
const WARM_UP = Number(process.env.COSTS_WARM_UP ?? 150);
const REQUESTS = Number(process.env.COSTS_REQUESTS ?? 400);
/** 32 as in the bench; fewer on a machine so busy that requests time out (CPU per request is what counts). */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/**
 * COSTS_PROFILE=0 runs the app without --cpu-prof: the profiler's sampling adds to the CPU measured
 * and swings more, so a comparison of two trees reads better without it (no top functions then).
 */
const PROFILE = process.env.COSTS_PROFILE !== '0';
/** Node flags added to those of `npm start` (COSTS_NODE_FLAGS, space-separated), to try one: `--trace-gc`. */
const EXTRA_FLAGS = (process.env.COSTS_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/**
 * COSTS_GC=1 runs the app with --trace-gc-nvp and reads, over the measured requests alone, what the
 * collector did per request: bytes allocated and promoted to the old generation, young and full
 * collections, and the main thread's pauses. These do not swing with the machine as CPU does: a
 * change that allocates less, or keeps less alive across a request's awaits, shows here first.
 */
const GC = process.env.COSTS_GC === '1';

/** What the collector did while the requests were measured, from --trace-gc-nvp's lines. */
class GcTally {
  measuring = false;
  allocated = 0;
  promoted = 0;
  scavenges = 0;
  fullCollections = 0;
  pauseMs = 0;
  #rest = '';

  read(chunk: Buffer) {
    const lines = (this.#rest + chunk.toString('latin1')).split('\n');
    this.#rest = lines.pop() ?? '';
    for (const line of lines) {
      const kind = / gc=(\w+)/.exec(line)?.[1];
      if (!kind || !this.measuring) continue;
      const field = (name: string) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
      // gc=s: a scavenge of the young generation; gc=mc / gc=ms: a full mark-compact or mark-sweep.
      if (kind === 'mc' || kind === 'ms') this.fullCollections++;
      else this.scavenges++;
      this.allocated += field('allocated');
      this.promoted += field('promoted');
      this.pauseMs += field('pause');
    }
  }

  perRequest(n: number) {
    return {
      allocatedKb: Math.round(this.allocated / 1024 / n),
      promotedKb: Math.round((this.promoted / 1024 / n) * 10) / 10,
      scavengesPer1000: Math.round((this.scavenges / n) * 1000),
      fullCollectionsPer1000: Math.round((this.fullCollections / n) * 10000) / 10,
      pauseMs: Math.round((this.pauseMs / n) * 1000) / 1000,
    };
  }
}
const { email: EMAIL, password: PASSWORD } = BENCH_USER;

/** The backends connected to this database: the app's pool (the other databases' load is not ours). */
async function backendPids(client: postgres.Sql): Promise<number[]> {
  const rows =
    await client`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
  return rows.map((r) => Number(r.pid));
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time by function and by package, in ms per request. */
function summarise(file: string, window: [bigint, bigint]) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Only the samples taken while the load was measured (V8's clock is the monotonic one, as hrtime's).
  const [from, to] = window.map((t) => Number(t / 1000n));
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= (from as number) && at <= (to as number)) self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  for (const [id, ms] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f || f.functionName === '(idle)') continue;
    const where = f.url.replace(/^file:\/\/.*?\/(node_modules|src|views)\//, '$1/').replace(/^file:\/\/.*\//, '');
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + ms);
    const pkg =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f.url)?.[1] ??
      (/\/src\//.test(f.url)
        ? 'src (the app)'
        : f.url.startsWith('node:')
          ? 'node internals'
          : f.url
            ? 'other'
            : f.functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + ms);
  }
  // Shares of the samples: on a busy machine a sample's interval includes time the process waited
  // for a core, so the profile's milliseconds overstate; its shares times the CPU from /proc do not.
  const total = [...fns.values()].reduce((a, b) => a + b, 0) || 1;
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, Math.round((v / total) * 1000) / 10] as const);
  return { functions: top(fns, 12), packages: top(pkgs, 10) };
}

async function loadMode(list: Page[]) {
  const results: Record<string, unknown> = {};
  const client = postgres(url as string, { max: 1 });
  for (const page of list) {
    const profDir = join(out, `prof-${page.name}`);
    rmSync(profDir, { recursive: true, force: true });
    // Each page from a vacuumed database, as autovacuum keeps one: the meetings that earlier runs
    // logged are otherwise on pages not yet marked all-visible, and every count of an agreement's
    // meetings reads them from the heap (heap_hot_search_buffer was 13 % of PostgreSQL's samples
    // in a meeting write after a day of runs), so that each run measured a slower write than the last.
    await client.unsafe('vacuum (analyze)');
    const start = startCommand(appRoot);
    const app: ChildProcess = spawn(
      process.execPath,
      [
        ...start.flags,
        ...EXTRA_FLAGS,
        ...(GC ? ['--trace-gc-nvp'] : []),
        ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
        'src/server.ts',
      ],
      {
        cwd: appRoot,
        env: {
          ...process.env,
          ...start.env,
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          PORT: String(PORT),
          HOST: '127.0.0.1',
          PAGE_CACHE_TTL_MS: '0',
        },
        stdio: ['ignore', GC ? 'pipe' : 'inherit', 'inherit'],
      },
    );
    const gc = new GcTally();
    app.stdout?.on('data', (chunk: Buffer) => gc.read(chunk));
    const base = `http://127.0.0.1:${PORT}`;
    for (let i = 0; i < 600; i++) {
      try {
        if ((await fetch(`${base}/readyz`)).ok) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    const session = await signInBenchUser(base);
    // Warmed by a number of requests, not seconds: on a busy machine a second may hold only a few.
    await autocannon({ ...pageLoad(page, base, session, CONNECTIONS, agreementIds), amount: WARM_UP });
    const pids = await backendPids(client);
    const app0 = cpuSplitMs(app.pid as number);
    const db0 = pids.reduce((s, p) => s + cpuMs(p), 0);
    const t0 = process.hrtime.bigint();
    gc.measuring = true;
    const r = await autocannon({ ...pageLoad(page, base, session, CONNECTIONS, agreementIds), amount: REQUESTS });
    gc.measuring = false;
    const t1 = process.hrtime.bigint();
    const app1 = cpuSplitMs(app.pid as number);
    const appMs = app1.user + app1.system - app0.user - app0.system;
    const appSystemMs = app1.system - app0.system;
    const dbMs = pids.reduce((s, p) => s + cpuMs(p), 0) - db0;
    const exited = new Promise((resolve) => app.once('exit', resolve));
    app.kill('SIGTERM');
    await exited;
    const n = Math.max(1, r.requests.total);
    const prof = PROFILE ? readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
    const result = {
      path: page.path,
      requests: r.requests.total,
      reqPerSec: Math.round(r.requests.average),
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      appCpuMs: Math.round((appMs / n) * 100) / 100,
      /** Of it, the kernel's part: writing to and reading from the sockets of the clients and the database. */
      appSystemMs: Math.round((appSystemMs / n) * 100) / 100,
      dbCpuMs: Math.round((dbMs / n) * 100) / 100,
      gc: GC ? gc.perRequest(n) : undefined,
      profile: prof ? summarise(join(profDir, prof), [t0, t1]) : undefined,
      /** The measured load's span on V8's clock (µs), to read the kept profile over it alone. */
      window: [Number(t0 / 1000n), Number(t1 / 1000n)],
    };
    results[page.name] = result;
    console.log(
      `\n## ${page.name} ${page.path}: ${result.reqPerSec} req/s, p99 ${result.p99} ms, non-2xx ${result.non2xx}, app ${result.appCpuMs} ms/req (kernel ${result.appSystemMs}), PostgreSQL ${result.dbCpuMs} ms/req`,
    );
    if (result.gc) {
      const g = result.gc;
      console.log(
        `  gc   ${g.allocatedKb} kB allocated, ${g.promotedKb} kB promoted a request; ${g.scavengesPer1000} young and ${g.fullCollectionsPer1000} full collections a thousand requests; pauses ${g.pauseMs} ms a request`,
      );
    }
    for (const [k, v] of result.profile?.packages ?? []) console.log(`  pkg  ${v.toFixed(1)} %  ${k}`);
    for (const [k, v] of result.profile?.functions ?? []) console.log(`  fn   ${v.toFixed(1)} %  ${k}`);
  }
  await client.end();
  writeFileSync(join(out, `load-${process.env.COSTS_LABEL ?? 'now'}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

/** A parameter as an SQL literal, for EXECUTE. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `'{${v.map((x) => `"${String(x).replaceAll('"', '\\"')}"`).join(',')}}'`;
  if (v instanceof Date) return `'${v.toISOString()}'`;
  return `'${String(v).replaceAll("'", "''")}'`;
}

async function explainMode(list: Page[]) {
  const app = await buildApp(loadConfig({ ...process.env, LOG_LEVEL: 'silent', PAGE_CACHE_TTL_MS: '0' }));
  const accounts = app.services.accounts;
  if (!(await accounts.findUserByEmail(EMAIL)))
    await accounts.createUser(
      system,
      { email: EMAIL, name: 'Benchmark', password: PASSWORD, role: 'admin', municipalityCode: 101 },
      { system: true },
    );
  const { token } = await accounts.login(EMAIL, PASSWORD, '127.0.0.1');
  const cookie = `samspil_session=${token}`;
  const pg = app.database.sql as unknown as Record<string, (...a: unknown[]) => unknown>;
  let captured: [string, unknown[]][] = [];
  const record = (target: Record<string, (...a: unknown[]) => unknown>) => {
    const unsafe = target.unsafe?.bind(target) as (...a: unknown[]) => unknown;
    target.unsafe = (q: unknown, a: unknown, o: unknown) => {
      captured.push([String(q), Array.isArray(a) ? a : []]);
      return unsafe(q, a, o);
    };
  };
  record(pg);
  const begin = pg.begin?.bind(pg) as (...a: unknown[]) => unknown;
  pg.begin = (...a: unknown[]) => {
    const fn = a.pop() as (tx: Record<string, (...x: unknown[]) => unknown>) => unknown;
    return begin(...a, (tx: Record<string, (...x: unknown[]) => unknown>) => {
      record(tx);
      return fn(tx);
    });
  };
  // What drizzle builds for each request: the SQL text of each statement a page sends, built anew.
  const dialect = (app.database.db as unknown as { dialect: { sqlToQuery: (...a: unknown[]) => { sql: string } } })
    .dialect;
  const toQuery = dialect.sqlToQuery.bind(dialect);
  let built: string[] = [];
  dialect.sqlToQuery = (...a: unknown[]) => {
    const query = toQuery(...a);
    built.push(query.sql);
    return query;
  };
  const home = await app.inject({ method: 'GET', url: '/', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1] ?? '';
  const explainer = postgres(url as string, { max: 1, connection: { jit: 'off' } });
  const results: Record<string, unknown> = {};
  for (const page of list) {
    // Once to fill what is reused (sessions, reference data), then the request that is explained.
    const inject = () =>
      app.inject({
        method: page.write ? 'POST' : 'GET',
        url: page.path,
        headers: {
          cookie,
          ...(page.htmx ? { 'hx-request': 'true', 'hx-target': page.htmx } : {}),
          ...(page.write
            ? { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true', 'x-csrf-token': csrf }
            : {}),
        },
        payload: page.write
          ? new URLSearchParams({ heldOn: '2026-11-01', notes: 'Benchmark-møde' }).toString()
          : undefined,
      });
    await inject();
    captured = [];
    built = [];
    const res = await inject();
    const queries = captured.filter(([q]) => /^\s*(select|with)/i.test(q));
    const plans = [];
    for (const [q, params] of queries) {
      // As the app runs it: a prepared statement, executed often enough for PostgreSQL's plan cache
      // to settle on a generic plan if it prefers one, then explained.
      await explainer.unsafe('deallocate all');
      await explainer.unsafe(`prepare costs_q as ${q}`);
      const run = params.length ? `execute costs_q(${params.map(literal).join(', ')})` : 'execute costs_q';
      for (let i = 0; i < 7; i++) await explainer.unsafe(run);
      const rows = await explainer.unsafe(`explain (analyze, buffers, format json) ${run}`);
      const plans0 = rows[0]?.['QUERY PLAN'] as
        | { Plan: Record<string, unknown>; 'Execution Time': number; 'Planning Time'?: number }[]
        | undefined;
      const plan = plans0?.[0];
      const text = await explainer.unsafe(`explain (analyze, buffers, costs off) ${run}`);
      plans.push({
        ms: plan?.['Execution Time'] ?? 0,
        // Planned again at each run: PostgreSQL kept a custom plan, the generic one costing more.
        planningMs: plan?.['Planning Time'] ?? 0,
        sharedHit: Number(plan?.Plan['Shared Hit Blocks'] ?? 0),
        sql: q.replace(/\s+/g, ' ').slice(0, 240),
        plan: text.map((r) => r['QUERY PLAN']).join('\n'),
      });
    }
    const writes = captured.length - queries.length;
    const total = plans.reduce((s, p) => s + p.ms, 0);
    plans.sort((a, b) => b.ms - a.ms);
    results[page.name] = {
      status: res.statusCode,
      bytes: res.body.length,
      statements: captured.length,
      writes,
      totalMs: total,
      built: built.length,
      plans,
    };
    console.log(
      `\n## ${page.name} ${page.path}: ${res.statusCode}, ${res.body.length} bytes, ${captured.length} statements (${writes} not select, ${built.length} built for this request), selects ${total.toFixed(2)} ms in all`,
    );
    for (const q of built) console.log(`  built: ${q.replace(/\s+/g, ' ').slice(0, 160)}`);
    for (const p of plans.slice(0, Number(process.env.COSTS_TOP ?? 5)))
      console.log(
        `  ${p.ms.toFixed(3)} ms (planned ${p.planningMs.toFixed(3)})  ${p.sharedHit} hit  ${p.sql.slice(0, 160)}`,
      );
    for (const [q] of captured.filter(([q]) => !/^\s*(select|with)/i.test(q)))
      console.log(`  not select: ${q.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
  await explainer.end();
  await app.close();
  writeFileSync(join(out, `explain-${process.env.COSTS_LABEL ?? 'now'}.json`), `${JSON.stringify(results, null, 2)}\n`);
}

const [mode = 'load', ...names] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const { pages: all, agreementIds } = await costPages(url);
const list = names.length ? all.filter((p) => names.includes(p.name)) : all.filter((p) => !p.national);
if (mode === 'explain') await explainMode(list);
else await loadMode(list);
