import t from 'tap';
import { deal, readWeights, shardCount, testFiles } from '../shards/shards.ts';

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
