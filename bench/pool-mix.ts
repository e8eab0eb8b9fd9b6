/**
 * A quick page beside slow ones, for choosing the pool's size (DATABASE_POOL_MAX, issue 17): the
 * actor page at 32 connections while two clients read the national grant lists over and over.
 * A small pool pipelines the statements of requests that wait, which saves CPU, but a quick
 * statement pipelined behind a slow one waits for it. On DATABASE_URL (the national data set):
 *   node bench/pool-mix.ts [pool ...]     (default: 4 6 8 10, each run once)
 * The app runs as `npm start` runs it, rendering every page anew. Figures on stdout only.
 */
import autocannon from 'autocannon';
import postgres from 'postgres';
import { benchIds, signInBenchUser } from './national.ts';
import { startApp } from './start-flags.ts';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL to the national data set on PostgreSQL');
const root = new URL('..', import.meta.url).pathname;
const client = postgres(url, { max: 1 });
const { actor } = await benchIds((text) => client.unsafe(text));
await client.end();
const slowPaths = ['/grants', '/grants?year=2026', '/grants?q=havnen'];

for (const pool of process.argv.slice(2).length ? process.argv.slice(2) : ['4', '6', '8', '10']) {
  const { app, base } = await startApp(root, {
    url,
    port: 3931,
    env: { PAGE_CACHE_TTL_MS: '0', DATABASE_POOL_MAX: pool },
  });
  const { cookie } = await signInBenchUser(base);
  const page = { url: `${base}/actors/${actor}`, headers: { cookie }, connections: 32 };
  await autocannon({ ...page, amount: 600 });
  let stop = false;
  const slow: number[] = [];
  const reader = async (first: number) => {
    for (let k = first; !stop; k++) {
      const t0 = performance.now();
      await (await fetch(base + slowPaths[k % slowPaths.length], { headers: { cookie } })).text();
      slow.push(performance.now() - t0);
    }
  };
  const readers = [reader(0), reader(1)];
  const r = await autocannon({ ...page, amount: 3000 });
  stop = true;
  await Promise.all(readers);
  slow.sort((a, b) => a - b);
  console.log(
    `pool ${pool}: actor page ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms;` +
      ` national lists read ${slow.length}, median ${Math.round(slow[slow.length >> 1] ?? 0)} ms`,
  );
  const exited = new Promise((resolve) => app.once('exit', resolve));
  app.kill('SIGTERM');
  await exited;
}
