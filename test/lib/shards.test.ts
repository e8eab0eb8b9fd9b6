import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { deal, readWeights, shardCount, testFiles, weightsFile } from '../shards/shards.ts';
import { TS_LOADER } from '../template.ts';

t.test('every test file is run by exactly one shard of its set', async (t) => {
  for (const set of ['shard', 'browser'] as const) {
    const files = testFiles(set);
    t.ok(files.length > 10, `${set}: ${files.length} files`);
    t.ok(shardCount(set) >= 2, `${set}: ${shardCount(set)} shards`);
    const shards = deal(files, readWeights(), shardCount(set));
    const dealt = shards.flat();
    t.same([...dealt].sort(), files, `${set}: each file once`);
    t.equal(new Set(dealt).size, dealt.length, `${set}: no file twice`);
  }
  t.notOk(
    testFiles('shard').some((f) => f.startsWith('test/browser/') || f.startsWith('test/shards/')),
    'the suite holds neither browser tests nor the shards themselves',
  );
  t.ok(
    testFiles('browser').every((f) => f.startsWith('test/browser/')),
    'the browser set holds only browser tests',
  );
});

t.test('files are dealt by weight: the largest first, each to the lightest shard', async (t) => {
  const files = ['a', 'b', 'c', 'd', 'e', 'f'];
  const shards = deal(files, { a: 10, b: 9, c: 5, d: 4, e: 1, f: 1 }, 2);
  t.same(shards, [
    ['a', 'd', 'e'],
    ['b', 'c', 'f'],
  ]);
  t.same(deal(['x', 'y', 'z'], { x: 10 }, 3), [['x'], ['y'], ['z']], 'an unweighed file counts as the median');
  t.same(deal(['x', 'y'], {}, 3), [['x'], ['y'], []], 'more shards than files leaves some empty');
});

t.test('a run on PostgreSQL deals by its own weights, and by PGlite’s until it has them', async (t) => {
  t.equal(basename(weightsFile({})), 'weights.json');
  t.equal(basename(weightsFile({ DATABASE_URL: 'postgres://x/y' })), 'weights.postgres.json');
  const dir = mkdtempSync(join(tmpdir(), 'samspil-weights-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const own = join(dir, 'weights.postgres.json');
  writeFileSync(own, JSON.stringify({ 'test/a.test.ts': 7 }));
  t.same(readWeights(own), { 'test/a.test.ts': 7 }, 'its own file');
  t.same(readWeights(join(dir, 'missing.json')), readWeights(weightsFile({})), 'PGlite’s when it has none');
});

t.test(
  'in a shard, a file that fails to load fails the run, its teardowns still run, and the next file runs',
  async (t) => {
    const run = spawnSync(process.execPath, [...TS_LOADER, 'test/fixtures/shards/run.ts'], {
      encoding: 'utf8',
      env: { ...process.env, TAP_TIMEOUT: '0' },
    });
    t.not(run.status, 0, 'the shard fails');
    t.match(run.stdout, /not ok \d+ - test\/fixtures\/shards\/broken\.ts did not load/, 'naming the file');
    t.match(run.stdout, /broken on purpose/, 'with its error');
    const order = [
      '# broken: its teardown ran',
      'ok 1 - a test after the broken file still runs',
      '# fine: its teardown ran',
      '# shared: closed at the end of the shard',
    ];
    const at = order.map((line) => run.stdout.indexOf(line));
    t.ok(
      at.every((i, n) => i >= 0 && (n === 0 || i > (at[n - 1] as number))),
      'the broken file is closed before the next file runs, that one at its end, and what they shared after both',
    );
  },
);
