// Refreshes test/shards/weights.json from the last `npm test` or `npm run test:browser`: each test file's seconds, as its shard
// reported them (".tap/test-results/test/shards/*.tap"), so the next run deals the files evenly. With DATABASE_URL
// set (after a run on PostgreSQL), test/shards/weights.postgres.json.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWeights, weightsFile } from '../test/shards/shards.ts';

const results = join('.tap', 'test-results', 'test', 'shards');
// Kept for the files the last run did not weigh (the browser tests after `npm test`, or the reverse).
const file = weightsFile();
const weights = readWeights(file);
let weighed = 0;
// The browser shards run on PGlite only: a PostgreSQL run weighs the suite's shards alone. Run this right
// after the run it is to weigh: the results of an earlier run of the other database are still there.
const weighs = (name: string) => name.endsWith('.tap') && (!process.env.DATABASE_URL || name.startsWith('shard-'));
for (const name of readdirSync(results).filter(weighs)) {
  for (const m of readFileSync(join(results, name), 'utf8').matchAll(
    /ok \d+ - (test\/\S+\.test\.ts) done in ([\d.]+) s/g,
  )) {
    weights[m[1] as string] = Number(m[2]);
    weighed += 1;
  }
}
// A test file since removed is dropped.
const sorted = Object.fromEntries(
  Object.entries(weights)
    .filter(([f]) => existsSync(f))
    .sort(([a], [b]) => a.localeCompare(b)),
);
writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`${weighed} test files weighed; ${Object.keys(sorted).length} in ${file}`);
