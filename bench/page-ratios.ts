/**
 * Each page's app CPU against the floor page's, measured beside it (issue 17: pages rendered anew at
 * most 2× the floor), on DATABASE_URL (the national data set, `npm run bench` run once for its user):
 *   node bench/page-ratios.ts [name ...]
 *
 * The machine's speed drifts within minutes: the floor alone ran at 0.28–0.63 ms a request in one
 * evening, so a page measured minutes after the floor (as bench/page-costs.ts measures them, each in
 * a process of its own) says little of their ratio. Here one app runs, started as `npm start` starts
 * it with PAGE_CACHE_TTL_MS=0, and each round asks for the floor, a page, the floor, the next page,
 * …, the floor: each page's ratio is its app CPU a request over the mean of the two floors around it.
 * RATIO_ROUNDS rounds (5) of RATIO_REQUESTS requests a part (1,000) at 32 connections, after
 * COSTS_WARM_UP (600) of each page; the median of the rounds is reported. The write (the meeting)
 * has a target of its own and is not among them; the national pages only when named.
 * Figures go to bench/.costs/ratios-<COSTS_LABEL>.json (not kept in git) and to stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { costPages, type Page, pageLoad } from './cost-pages.ts';
import { signInBenchUser } from './national.ts';
import { cpuMs } from './proc.ts';
import { startApp } from './start-flags.ts';
import { median } from './stats.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The tree whose app is measured (another checkout, to measure the code before a change). */
const appRoot = process.env.COSTS_APP_ROOT ?? root;
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to the national data set on PostgreSQL');
const ROUNDS = Number(process.env.RATIO_ROUNDS ?? 5);
const REQUESTS = Number(process.env.RATIO_REQUESTS ?? 1000);
const WARM_UP = Number(process.env.COSTS_WARM_UP ?? 600);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PORT = 3922;

const round2 = (n: number) => Math.round(n * 100) / 100;

const names = process.argv.slice(2);
const { pages, agreementIds } = await costPages(url);
const floor = pages.find((p) => p.name === 'floor') as Page;
const measured = pages.filter((p) =>
  names.length ? names.includes(p.name) && p !== floor : !p.national && !p.write && p !== floor,
);

// From a vacuumed database, as page-costs.ts measures: the meetings its write logged are otherwise on
// pages not yet marked all-visible.
const client = postgres(url, { max: 1 });
await client.unsafe('vacuum (analyze)');
await client.end();

const { app, base } = await startApp(appRoot, { url, port: PORT, env: { PAGE_CACHE_TTL_MS: '0' } });
try {
  const session = await signInBenchUser(base);
  /** The app's CPU a request over `amount` requests for the page. */
  const cpuPerRequest = async (page: Page, amount: number): Promise<number> => {
    const before = cpuMs(app.pid as number);
    const r = await autocannon({ ...pageLoad(page, base, session, CONNECTIONS, agreementIds), amount });
    if (r.non2xx || r.errors) throw new Error(`${page.path}: ${r.non2xx} answers not 2xx, ${r.errors} errors`);
    return (cpuMs(app.pid as number) - before) / Math.max(1, r.requests.total);
  };
  for (const page of [floor, ...measured]) await cpuPerRequest(page, WARM_UP);

  const floors: number[] = [];
  const ratios = new Map<string, number[]>(measured.map((p) => [p.name, []]));
  const costs = new Map<string, number[]>(measured.map((p) => [p.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    let before = await cpuPerRequest(floor, REQUESTS);
    floors.push(before);
    for (const page of measured) {
      const cost = await cpuPerRequest(page, REQUESTS);
      const after = await cpuPerRequest(floor, REQUESTS);
      floors.push(after);
      costs.get(page.name)?.push(cost);
      ratios.get(page.name)?.push(cost / ((before + after) / 2));
      before = after;
    }
    console.log(`round ${r + 1} of ${ROUNDS} done`);
  }

  const results = Object.fromEntries(
    measured.map((p) => {
      const pageRatios = ratios.get(p.name) ?? [];
      return [
        p.name,
        {
          path: p.path,
          appCpuMs: round2(median(costs.get(p.name) ?? [])),
          ratio: round2(median(pageRatios)),
          ratios: pageRatios.map(round2),
        },
      ];
    }),
  );
  console.log(
    `\nThe floor (${floor.path}): ${round2(median(floors))} ms a request (median of ${floors.length} parts, ${round2(Math.min(...floors))}–${round2(Math.max(...floors))})`,
  );
  console.log('\n| page | app ms a request | × the floor beside it (median) | each round |');
  console.log('|---|---:|---:|---|');
  for (const [name, r] of Object.entries(results))
    console.log(`| ${name} | ${r.appCpuMs} | ${r.ratio} | ${r.ratios.join(' / ')} |`);
  const out = join(root, 'bench', '.costs');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, `ratios-${process.env.COSTS_LABEL ?? 'now'}.json`),
    `${JSON.stringify({ floorMs: round2(median(floors)), floors: floors.map(round2), pages: results }, null, 2)}\n`,
  );
} finally {
  const exited = new Promise((resolve) => app.once('exit', resolve));
  app.kill('SIGTERM');
  await exited;
}
