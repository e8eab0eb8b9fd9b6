/**
 * Two trees' apps side by side, page by page (issue 17): whether a change made a page rendered anew
 * cheaper, on DATABASE_URL (the national data set, `npm run bench` run once for its user):
 *   node bench/page-ab.ts <tree A> <tree B> <page name> ...
 *
 * Both apps run at once, each started as `npm start` starts it with PAGE_CACHE_TTL_MS=0. For each
 * page, AB_PAIRS pairs (12) of AB_REQUESTS requests (1,000) at 32 connections go to one app and then
 * the other, the first of each pair taken in turn; each pair gives B's app CPU a request over A's, and
 * the median of the pairs is reported. Measured minutes apart, the same code's ratio to the floor
 * swung by a third between runs (bench/PAGE-COSTS.md); a pair is measured within seconds. Name the
 * floor among the pages as a control: two trees with the same code give about 1.
 * Figures go to bench/.costs/ab-<COSTS_LABEL>.json (not kept in git) and to stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { costPages, type Page, pageLoad } from './cost-pages.ts';
import { signInBenchUser } from './national.ts';
import { cpuMs } from './proc.ts';
import { startApp } from './start-flags.ts';
import { median } from './stats.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to the national data set on PostgreSQL');
const [treeA, treeB, ...names] = process.argv.slice(2);
if (!treeA || !treeB || !names.length) throw new Error('usage: node bench/page-ab.ts <tree A> <tree B> <page> ...');
const PAIRS = Number(process.env.AB_PAIRS ?? 12);
const REQUESTS = Number(process.env.AB_REQUESTS ?? 1000);
const WARM_UP = Number(process.env.COSTS_WARM_UP ?? 600);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const round3 = (n: number) => Math.round(n * 1000) / 1000;

const { pages, agreementIds } = await costPages(url);
const measured = names.map((name) => {
  const page = pages.find((p) => p.name === name);
  if (!page) throw new Error(`no page named ${name}: ${pages.map((p) => p.name).join(', ')}`);
  return page;
});

const started: Awaited<ReturnType<typeof startApp>>[] = [];
try {
  for (const [tree, port] of [
    [treeA, 3931],
    [treeB, 3932],
  ] as const)
    started.push(await startApp(tree, { url, port, env: { PAGE_CACHE_TTL_MS: '0' } }));
  const apps = started as [(typeof started)[number], (typeof started)[number]];
  const sessions = [await signInBenchUser(apps[0].base), await signInBenchUser(apps[1].base)] as const;
  /** App `which`'s CPU a request over `amount` requests for the page. */
  const cpuPerRequest = async (which: 0 | 1, page: Page, amount: number): Promise<number> => {
    const { app, base } = apps[which];
    const before = cpuMs(app.pid as number);
    const r = await autocannon({ ...pageLoad(page, base, sessions[which], CONNECTIONS, agreementIds), amount });
    if (r.non2xx || r.errors) throw new Error(`${page.path}: ${r.non2xx} answers not 2xx, ${r.errors} errors`);
    return (cpuMs(app.pid as number) - before) / Math.max(1, r.requests.total);
  };
  for (const page of measured) for (const which of [0, 1] as const) await cpuPerRequest(which, page, WARM_UP);

  const results: Record<string, { a: number; b: number; ratio: number; ratios: number[] }> = {};
  for (const page of measured) {
    const costs: [number[], number[]] = [[], []];
    const ratios: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const pair = [0, 0];
      for (const which of i % 2 ? ([0, 1] as const) : ([1, 0] as const))
        pair[which] = await cpuPerRequest(which, page, REQUESTS);
      const [a = 0, b = 0] = pair;
      costs[0].push(a);
      costs[1].push(b);
      ratios.push(b / a);
    }
    results[page.name] = {
      a: round3(median(costs[0])),
      b: round3(median(costs[1])),
      ratio: round3(median(ratios)),
      ratios: ratios.map(round3),
    };
    console.log(`${page.name} done`);
  }
  console.log(
    `\nA: ${treeA}\nB: ${treeB}\n\n| page | A app ms | B app ms | B / A (median of ${PAIRS} pairs) |\n|---|---:|---:|---:|`,
  );
  for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${r.a} | ${r.b} | ${r.ratio} |`);
  const out = join(root, 'bench', '.costs');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, `ab-${process.env.COSTS_LABEL ?? 'now'}.json`),
    `${JSON.stringify({ a: treeA, b: treeB, pages: results }, null, 2)}\n`,
  );
} finally {
  await Promise.all(
    started.map(({ app }) => {
      if (app.exitCode !== null || app.signalCode !== null) return Promise.resolve();
      const exited = new Promise((resolve) => app.once('exit', resolve));
      app.kill('SIGTERM');
      return exited;
    }),
  );
}
