// Refreshes test/shards/weights.json from the last `npm test`: each test file's seconds, as its shard
// reported them (".tap/test-results/test/shards/*.tap"), so the next run deals the files evenly.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const results = join('.tap', 'test-results', 'test', 'shards');
const weights: Record<string, number> = {};
for (const name of readdirSync(results).filter((f) => f.endsWith('.tap'))) {
  for (const m of readFileSync(join(results, name), 'utf8').matchAll(
    /ok \d+ - (test\/\S+\.test\.ts) done in ([\d.]+) s/g,
  )) {
    weights[m[1] as string] = Number(m[2]);
  }
}
const sorted = Object.fromEntries(Object.entries(weights).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(join('test', 'shards', 'weights.json'), `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`${Object.keys(sorted).length} test files weighed`);
