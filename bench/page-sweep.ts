/**
 * Every page a signed-in user can open, at national scale, slowest first (issue 17): the app in this
 * process on DATABASE_URL (the national data set and the bench user, as `bench/page-costs.ts` wants
 * them), PAGE_CACHE_TTL_MS=0, each page requested twice one after the other, the time of the first
 * and of the second. It finds the pages bench/page-costs.ts does not measure: a report past the
 * statement timeout, an export that pages badly, a list that reads all of a growing table.
 *   node bench/page-sweep.ts              the pages below
 *   node bench/page-sweep.ts /a /b?c=d    those pages only
 * Writes bench/.costs/sweep.json (not kept in git) and prints the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { BENCH_USER, benchIds } from './national.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to the national data set on PostgreSQL');
const out = join(dirname(fileURLToPath(import.meta.url)), '.costs');

const app = await buildApp(
  loadConfig({ ...process.env, LOG_LEVEL: 'silent', PAGE_CACHE_TTL_MS: '0', MAIL_SENDER: 'off' }),
);
const { token } = await app.services.accounts.login(BENCH_USER.email, BENCH_USER.password, '127.0.0.1');
const cookie = `samspil_session=${token}`;
const client = postgres(url, { max: 1 });
const { actor, round, agreement, grant } = await benchIds((text) => client.unsafe(text));
await client.end();

const pages =
  process.argv.length > 2
    ? process.argv.slice(2)
    : [
        '/',
        '/target-groups',
        '/account',
        '/account/calendar',
        '/actors',
        '/actors?q=foreningen',
        '/actors?municipalityCode=101',
        '/actors?role=advocate',
        `/actors/${actor}`,
        `/actors/${actor}/history`,
        `/actors/${actor}/edit`,
        '/actors/similar?name=Foreningen%20Havnen',
        '/agreements',
        '/agreements?q=aftale',
        '/agreements?status=active',
        '/agreements?municipalityCode=101',
        `/agreements/${agreement}`,
        `/agreements/${agreement}/edit`,
        '/agreements/new',
        '/agreements/actor-options?q=hav',
        '/grant-rounds',
        `/grant-rounds/${round}`,
        `/grant-rounds/${round}/applications`,
        `/grant-rounds/${round}/reviews`,
        `/grant-rounds/${round}/edit`,
        '/grants',
        '/grants?municipalityCode=101',
        '/grants?year=2026',
        '/grants?overdue=true',
        '/grants?q=lektiehj%C3%A6lp',
        '/grants?sort=-awarded',
        '/grants?sort=actor',
        '/grants?targetGroupId=1',
        `/grants/${grant}`,
        `/grants/${grant}/edit`,
        '/grants/new',
        '/grants/actor-options?q=hav',
        '/grants/export.csv?year=2026',
        '/grants/export.xlsx?year=2026',
        '/grants/export.csv?year=2026&municipalityCode=101',
        '/imports',
        '/need-estimates',
        '/need-estimates?year=2026',
        '/outreach',
        '/outreach/new',
        '/reports/proportionality',
        '/reports/proportionality?area=national&year=2026',
        '/reports/shared-actors',
        '/reports/shared-actors?regionCode=1084',
        '/reports/shared-actors/duplicates',
        '/reports/shared-actors/duplicates?regionCode=1084',
        '/audit',
        '/audit?entity=grant',
        '/admin/users',
        '/admin/mail',
        '/public',
        '/public/municipalities/101/rounds',
        `/public/rounds/${round}`,
      ];

const results: { path: string; status: number; bytes: number; firstMs: number; secondMs: number }[] = [];
for (const path of pages) {
  const timed = async () => {
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url: path, headers: { cookie } });
    return { res, ms: performance.now() - started };
  };
  const first = await timed();
  const second = await timed();
  results.push({
    path,
    status: second.res.statusCode,
    bytes: second.res.rawPayload.length,
    firstMs: Math.round(first.ms * 10) / 10,
    secondMs: Math.round(second.ms * 10) / 10,
  });
}
await app.close();
results.sort((a, b) => b.secondMs - a.secondMs);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'sweep.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('second ms   first ms  status     bytes  page');
for (const r of results)
  console.log(
    `${r.secondMs.toFixed(1).padStart(9)} ${r.firstMs.toFixed(1).padStart(10)}  ${r.status}  ${String(r.bytes).padStart(9)}  ${r.path}`,
  );
