import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';

/**
 * `npm test` runs the test files in a few processes (shards) instead of one process each. Starting a
 * process costs about 3 s of CPU before the first assertion (loading the app's modules through tsx),
 * which with ~150 files was most of the suite. Each shard imports its files one after the other into
 * one process; every file still gets its own app and database, and what a file registers for its
 * end (`t.teardown` on the root test: its app and its database copy) is run when that file's tests
 * are done, before the next file starts. A test file still runs alone as before: `npx tap <file>`.
 *
 * Files are dealt to shards by their cost measured in an earlier run (weights.json, refreshed by
 * `npm run test:weights`), the largest first, each to the shard with the least so far; a file not
 * yet weighed counts as the median.
 */
const testRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const shardDir = dirname(fileURLToPath(import.meta.url));

/** The two sets: `npm test` runs the suite's shards (shard-NN), `npm run test:browser` the browser's. */
export type TestSet = 'shard' | 'browser';

/** The test files of a set: test/browser/**\/*.test.ts, or every other test/**\/*.test.ts but the shards. */
export function testFiles(set: TestSet): string[] {
  return (readdirSync(testRoot, { recursive: true }) as string[])
    .map((f) => f.split(sep).join('/'))
    .filter(
      (f) => f.endsWith('.test.ts') && !f.startsWith('shards/') && f.startsWith('browser/') === (set === 'browser'),
    )
    .map((f) => `test/${f}`)
    .sort();
}

/** The number of shard files of a set in test/shards (shard-01.test.ts …, browser-01.test.ts …). */
export function shardCount(set: TestSet): number {
  return readdirSync(shardDir).filter((f) => new RegExp(`^${set}-\\d+\\.test\\.ts$`).test(f)).length;
}

/**
 * The weights file of a run: the PostgreSQL run has its own (weights.postgres.json), as its costs
 * differ (the crash test's import is twice the rows there), and falls back to PGlite's.
 */
export function weightsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(shardDir, env.DATABASE_URL ? 'weights.postgres.json' : 'weights.json');
}

export function readWeights(file = weightsFile()): Record<string, number> {
  for (const f of [file, join(shardDir, 'weights.json')]) {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>;
    } catch {}
  }
  return {};
}

/** Deals the files to `count` shards: largest first, each to the lightest shard (the lowest on a tie). */
export function deal(files: string[], weights: Record<string, number>, count: number): string[][] {
  const known = files
    .map((f) => weights[f])
    .filter((w): w is number => typeof w === 'number')
    .sort((a, b) => a - b);
  const median = known.length ? (known[Math.floor(known.length / 2)] as number) : 1;
  const weighed = files.map((file) => ({ file, weight: weights[file] ?? median }));
  weighed.sort((a, b) => b.weight - a.weight || a.file.localeCompare(b.file));
  const shards = Array.from({ length: count }, () => ({ files: [] as string[], load: 0 }));
  for (const { file, weight } of weighed) {
    let lightest = shards[0] as (typeof shards)[number];
    for (const shard of shards) if (shard.load < lightest.load) lightest = shard;
    lightest.files.push(file);
    lightest.load += weight;
  }
  return shards.map((s) => s.files.sort());
}

/**
 * Runs the shard the calling file names (its set and its 1-based number) in this process: each file is imported,
 * its tests run, then its teardowns, before the next file.
 */
export async function runShard(shardUrl: string): Promise<void> {
  const match = /(shard|browser)-(\d+)\.test\.ts$/.exec(fileURLToPath(shardUrl));
  if (!match) throw new Error(`not a shard file: ${shardUrl}`);
  const set = match[1] as TestSet;
  await runFiles(deal(testFiles(set), readWeights(), shardCount(set))[Number(match[2]) - 1] ?? []);
}

let shardEnd: (() => unknown)[] | undefined;
const afterEachFile: (() => void)[] = [];

/**
 * For what must end with each file even when one of its teardowns failed (and so the rest did not
 * run): the loan of the process's PGlite (test/shared-pglite.ts).
 */
export function atFileEnd(fn: () => void): void {
  afterEachFile.push(fn);
}

/**
 * For what test files share within a process (one Chromium for a browser shard's files): run when
 * the shard's last file is done, or at the end of the file when it runs alone.
 */
export function atProcessEnd(fn: () => unknown): void {
  if (shardEnd) shardEnd.push(fn);
  else t.teardown(fn);
}

/** Runs the test files (paths from the repository's root) one after another in this process. */
export async function runFiles(files: string[]): Promise<void> {
  const root = t as unknown as { teardown(fn: () => unknown): void };
  const rootTeardown = root.teardown;
  const ending: (() => unknown)[] = [];
  shardEnd = ending;
  for (const file of files) {
    const pending: (() => unknown)[] = [];
    root.teardown = (fn) => {
      pending.push(fn);
    };
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let loadError: unknown;
    try {
      await import(pathToFileURL(join(testRoot, '..', file)).href);
    } catch (err) {
      loadError = err;
    }
    await t.test(`${file}: end`, async (tt) => {
      if (loadError) tt.fail(`${file} did not load`, { error: loadError });
      try {
        // The root test's teardowns run last-registered first; so do the file's.
        while (pending.length) await (pending.pop() as () => unknown)();
      } finally {
        for (const fn of afterEachFile) fn();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      tt.pass(
        `${file} done in ${seconds.toFixed(1)} s (${((used.user + used.system) / 1e6).toFixed(1)} s of CPU in this process)`,
      );
    });
    root.teardown = rootTeardown;
  }
  shardEnd = undefined;
  if (ending.length)
    await t.test('what the files shared: end', async () => {
      while (ending.length) await (ending.pop() as () => unknown)();
    });
}
