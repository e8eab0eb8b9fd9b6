/**
 * One request at a time to each benchmarked page, with the app in this process: where the time goes.
 *   DATABASE_URL=postgres://… node bench/profile.ts
 */
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { BENCH_USER, benchIds } from './national.ts';

const app = await buildApp(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }));
const accounts = app.services.accounts;
const user = await accounts.findUserByEmail(BENCH_USER.email);
if (!user) throw new Error('run npm run bench once first');
const { token } = await accounts.login(BENCH_USER.email, BENCH_USER.password, '127.0.0.1');
const cookie = `samspil_session=${token}`;
const ids = await benchIds((text) => app.database.rows(sql.raw(text)));
const pages = [
  '/',
  '/actors?q=Foreningen&municipalityCode=101',
  `/actors/${ids.actor}`,
  '/grants?year=2026&municipalityCode=101&status=approved',
  `/grant-rounds/${ids.round}`,
  '/reports/proportionality?area=municipality:101&year=2026',
  '/reports/proportionality?area=national&year=2026',
  '/reports/shared-actors?regionCode=1084&year=2026',
];
for (const url of pages) {
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    const res = await app.inject({ method: 'GET', url, headers: { cookie } });
    times.push(performance.now() - t0);
    if (res.statusCode !== 200) console.log(url, res.statusCode);
  }
  times.sort((a, b) => a - b);
  console.log(`${(times[4] ?? 0).toFixed(1).padStart(8)} ms  ${url}`);
}
await app.close();
