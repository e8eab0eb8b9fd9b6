/**
 * `npm run bench:digests` (and the end of `npm run bench`): the daily digest run (issue 20) at
 * national scale. A scratch database gets the national data set (bench-data: 98 municipalities,
 * 200,000 grants, 10,000 agreements), then the people and dates a digest day has: eight users in
 * each municipality (an admin, two finance users, three coordinators, a viewer, a deactivated
 * coordinator) with their digest choices (some weekly, some off), reports due in 7 days, today and
 * overdue, case handlers on a third of the open grants, agreements with coordinators, reviews and
 * ends due, and action items owned and due. Then one `runDigests` at 07:30 Danish time on a Monday
 * (so the weekly digests are made too): its wall time, the mails queued, the SQL statements sent,
 * and the peak RSS of this process during the run; then a second run the same day, which must
 * queue nothing.
 *
 * PostgreSQL: DATABASE_URL's server (default the local one), in a database made for the run and
 * dropped after. DIGEST_BENCH_DB=pglite: an in-memory PGlite instead. Figures go to bench/MAIL.md
 * (the section between the digest markers), and as JSON to stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../src/config.ts';
import { SCALES, writeBenchData } from '../src/db/bench-data.ts';
import { type Database, openDatabase } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { createFollowUpService } from '../src/modules/follow-up/follow-up.service.ts';
import { createDigestService } from '../src/modules/mail/digests.service.ts';
import { DIGEST_HEADING } from './digests-heading.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DB = 'samspil_digest_bench';
const onPglite = process.env.DIGEST_BENCH_DB === 'pglite';
const given = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const withDb = (name: string) => {
  const u = new URL(given);
  u.pathname = `/${name}`;
  return u.toString();
};
/** Monday 7 December 2026, 07:30 in Denmark (UTC+1). */
const TODAY = '2026-12-07';
const NOW = new Date(`${TODAY}T06:30:00Z`);

/** A pseudo-random integer in [0, n) from a salt and an SQL expression, as bench-data picks. */
const pick = (salt: string, expr: string, n: number) => `(abs(hashtext('${salt}' || (${expr})::text)) % ${n})`;

/** The users, choices and due dates of a digest day, on top of the national data set. */
async function writeDigestDay(database: Database) {
  await database.db.transaction(async (tx) => {
    const run = (q: string) => tx.execute(sql.raw(q));
    // Eight users a municipality: k 0 admin, 1–2 finance, 3–5 coordinators, 6 viewer, 7 a deactivated coordinator.
    await run(`insert into users (email, name, role, municipality_code, active, password_hash)
      select 'bruger-' || m.code || '-' || k || '@kommune.dk', 'Bruger ' || k || ' i ' || m.code,
        (array['admin','finance','finance','coordinator','coordinator','coordinator','viewer','coordinator'])[k + 1]::user_role,
        m.code, k <> 7, 'bench-no-password'
      from municipalities m cross join generate_series(0, 7) k`);
    // A user in four takes weekly digests of one kind, one in ten turns both off.
    await run(`insert into digest_preferences (user_id, grants, agreements)
      select u.id,
        case when ${pick('dpo', 'u.id', 10)} = 0 then 'off' when ${pick('dpg', 'u.id', 4)} = 0 then 'weekly' else 'daily' end,
        case when ${pick('dpo', 'u.id', 10)} = 0 then 'off' when ${pick('dpa', 'u.id', 4)} = 0 then 'weekly' else 'daily' end
      from users u where ${pick('dp', 'u.id', 2)} = 0`);
    await run(`create temporary table bench_c on commit drop as
      select u.municipality_code as code, row_number() over (partition by u.municipality_code order by u.id)::int - 1 as i, u.id
      from users u where u.role = 'coordinator'`);
    // Open reports: 10 % due in 7 days, 5 % today, the rest of last year's overdue by 1 to 200 days.
    await run(`update grants g set report_due_on = case
        when ${pick('due', 'g.id', 20)} < 2 then date '${TODAY}' + 7
        when ${pick('due', 'g.id', 20)} = 2 then date '${TODAY}'
        when g.status = 'paid' then date '${TODAY}' - (1 + ${pick('late', 'g.id', 200)})
        else g.report_due_on end
      where g.status in ('approved', 'paid') and g.report_received_on is null`);
    // A case handler on a third of them: one of the municipality's coordinators (the deactivated one too).
    await run(`update grants g set case_handler_id = c.id
      from grant_rounds r, bench_c c
      where r.id = g.round_id and c.code = r.municipality_code and c.i = ${pick('chi', 'g.id', 4)}
        and g.status in ('approved', 'paid') and ${pick('ch', 'g.id', 3)} = 0`);
    // Active agreements: a coordinator on most, and some up for review or ending soon.
    await run(`update agreements a set
        coordinator_user_id = (select c.id from bench_c c where c.code = a.municipality_code and c.i = ${pick('aci', 'a.id', 4)}),
        ends_on = case when ${pick('aend', 'a.id', 10)} = 0 then date '${TODAY}' + 45 else a.ends_on end,
        review_on = case when ${pick('arev', 'a.id', 10)} = 0 then date '${TODAY}' + 20 else a.review_on end
      where a.status = 'active' and ${pick('ac', 'a.id', 5)} > 0`);
    // Open action items: most owned by a coordinator, due from two weeks ago to a week ahead.
    await run(`update action_items i set
        owner_user_id = (select c.id from bench_c c join agreements a on a.municipality_code = c.code
          where a.id = i.agreement_id and c.i = ${pick('oi', 'i.id', 3)}),
        due_on = date '${TODAY}' + (${pick('idue', 'i.id', 21)} - 14)
      where i.done_at is null and ${pick('io', 'i.id', 4)} > 0`);
  });
  await database.rows(sql`analyze`);
}

/** Counts the SQL statements the app sends, on either driver. */
function countStatements(database: Database): () => number {
  let n = 0;
  const wrap = (target: Record<string, (...a: unknown[]) => unknown>, names: string[]) => {
    for (const name of names) {
      const original = target[name]?.bind(target);
      if (!original) continue;
      target[name] = (...a: unknown[]) => {
        n++;
        return original(...a);
      };
    }
  };
  const client = (database.sql ?? database.pglite) as unknown as Record<string, (...a: unknown[]) => unknown>;
  const [query, begin] = database.sql ? ['unsafe', 'begin'] : ['query', 'transaction'];
  wrap(client, database.sql ? [query] : [query, 'exec']);
  const started = client[begin]?.bind(client) as (...a: unknown[]) => unknown;
  client[begin] = (...a: unknown[]) => {
    const fn = a.pop() as (tx: Record<string, (...x: unknown[]) => unknown>) => unknown;
    return started(...a, (tx: Record<string, (...x: unknown[]) => unknown>) => {
      wrap(tx, database.sql ? [query] : [query, 'exec']);
      return fn(tx);
    });
  };
  return () => n;
}

/** The peak resident set size of this process while `fn` runs, sampled every 20 ms. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakMb: Math.round(peak / 1024 / 1024) };
  } finally {
    clearInterval(timer);
  }
}

async function bench(database: Database) {
  let started = performance.now();
  await migrateDatabase(database);
  await writeBenchData(database, SCALES.national as (typeof SCALES)['national']);
  await writeDigestDay(database);
  const setupS = (performance.now() - started) / 1000;
  const [day] = await database.rows<{ users: number; reportsReminded: number; withCaseHandler: number }>(sql`select
    (select count(*)::int from users where active) as users,
    (select count(*)::int from grants g where g.status in ('approved', 'paid') and g.report_received_on is null
      and (g.report_due_on = ${TODAY}::date + 7 or (g.report_due_on <= ${TODAY}::date
        and (${TODAY}::date - g.report_due_on) % 7 = 0))) as "reportsReminded",
    (select count(*)::int from grants where case_handler_id is not null) as "withCaseHandler"`);

  const config = loadConfig({ ...process.env, PUBLIC_URL: 'https://samspil.bench', LOG_LEVEL: 'silent' });
  const digests = createDigestService(database.db, config, createFollowUpService(database));
  const statements = countStatements(database);
  const rssBefore = Math.round(process.memoryUsage.rss() / 1024 / 1024);
  started = performance.now();
  const first = await withPeakRss(() => digests.runDigests(NOW));
  const firstMs = Math.round(performance.now() - started);
  const firstStatements = statements();
  const [queued] = await database.rows<{ n: number; bytes: number; largest: number; users: number }>(
    sql`select count(*)::int as n, coalesce(sum(length(text_body) + length(html_body)), 0)::bigint as bytes,
          coalesce(max(length(text_body) + length(html_body)), 0)::int as largest, count(distinct user_id)::int as users
        from mail_outbox where kind = 'digest'`,
  );
  started = performance.now();
  const second = await digests.runDigests(new Date(NOW.getTime() + 3_600_000));
  const secondMs = Math.round(performance.now() - started);
  const [after] = await database.rows<{ n: number }>(sql`select count(*)::int as n from mail_outbox`);
  return {
    database: database.kind,
    setupS: Number(setupS.toFixed(1)),
    ...day,
    run: {
      ms: firstMs,
      municipalities: first.result.municipalities,
      mails: first.result.mails,
      outboxRows: Number(queued?.n),
      distinctUsers: Number(queued?.users),
      megabytes: Number((Number(queued?.bytes) / 1024 / 1024).toFixed(1)),
      largestKb: Math.round(Number(queued?.largest) / 1024),
      statements: firstStatements,
      rssBeforeMb: rssBefore,
      peakRssMb: first.peakMb,
    },
    secondRun: { ms: secondMs, ...second, statements: statements() - firstStatements, outboxRows: Number(after?.n) },
  };
}

type Result = Awaited<ReturnType<typeof bench>>;

let result: Result;
if (onPglite) {
  const database = await openDatabase(
    { kind: 'pglite', dataDir: join(root, 'bench', '.digest-data') },
    { inMemory: true },
  );
  try {
    result = await bench(database);
  } finally {
    await database.close();
  }
} else {
  const admin = postgres(withDb('postgres'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${DB}" with (force)`);
  await admin.unsafe(`create database "${DB}"`);
  try {
    const database = await openDatabase({ kind: 'postgres', url: withDb(DB), statementTimeoutMs: 0 });
    try {
      result = await bench(database);
    } finally {
      await database.close();
    }
  } finally {
    // DIGEST_BENCH_KEEP=1 leaves the database for EXPLAIN (psql -d samspil_digest_bench).
    if (!process.env.DIGEST_BENCH_KEEP) await admin.unsafe(`drop database if exists "${DB}" with (force)`);
    await admin.end();
  }
}
console.log(JSON.stringify(result));

const label = result.database === 'postgres' ? 'PostgreSQL' : 'PGlite (in memory)';
const r = result.run;
const section = `<!-- digest-bench:${result.database} -->
### ${label}, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0]?.toFixed(1)} at the end

| What | Figure |
| --- | ---: |
| Municipalities run | ${r.municipalities} |
| Active users / open grants with a case handler | ${result.users} / ${result.withCaseHandler} |
| Reports with a reminder that day | ${result.reportsReminded} |
| **Wall time of the run** | **${(r.ms / 1000).toFixed(1)} s** |
| Mails queued (rows in the outbox, distinct users) | ${r.mails} (${r.outboxRows}, ${r.distinctUsers}) |
| Mail bodies queued, in all / the largest | ${r.megabytes} MB / ${r.largestKb} KB |
| SQL statements sent | ${r.statements} |
| RSS of the process before / peak during the run | ${r.rssBeforeMb} MB / ${r.peakRssMb} MB |
| Second run the same day: mails, statements, ms | ${result.secondRun.mails}, ${result.secondRun.statements}, ${result.secondRun.ms} |
<!-- /digest-bench:${result.database} -->`;
const file = join(root, 'bench', 'MAIL.md');
const text = readFileSync(file, 'utf8');
const marker = new RegExp(
  `<!-- digest-bench:${result.database} -->[\\s\\S]*?<!-- /digest-bench:${result.database} -->`,
);
const intro = `${DIGEST_HEADING}\n\n\`npm run bench:digests\` on ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; the data of the day are described in bench/digests.ts.\n\n`;
writeFileSync(
  file,
  marker.test(text)
    ? text.replace(marker, section)
    : `${text.trimEnd()}\n\n${text.includes(DIGEST_HEADING) ? '' : intro}${section}\n`,
);

// What issue 20 asks of the run: under 60 s, one digest per user, and nothing more the same day.
const problems = [
  r.ms > 60_000 && `the run took ${r.ms} ms (over 60 s)`,
  r.distinctUsers !== r.outboxRows && 'a user got more than one digest',
  (result.secondRun.mails !== 0 || result.secondRun.outboxRows !== r.outboxRows) && 'the second run queued mails',
].filter(Boolean);
if (problems.length) {
  console.error(`digest bench: ${problems.join('; ')}`);
  process.exitCode = 1;
}
