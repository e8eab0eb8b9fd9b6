import t from 'tap';
import { createReadCache } from '../../src/lib/read-cache.ts';

t.test('a read is reused until a write or the TTL, shared while loading, and failures are not kept', async (t) => {
  let generation = 0;
  let loads = 0;
  const cache = createReadCache<number>(() => generation, { max: 2, ttlMs: 50 });
  const load = async () => ++loads;

  const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
  t.same([a, b, loads], [1, 1, 1], 'two concurrent reads, one load');
  t.equal(await cache.get('k', load), 1, 'reused');
  generation++;
  t.equal(await cache.get('k', load), 2, 'a committed write ends its use');
  await new Promise((r) => setTimeout(r, 60));
  t.equal(await cache.get('k', load), 3, 'and so does the TTL');

  await t.rejects(cache.get('bad', async () => Promise.reject(new Error('no'))));
  t.equal(await cache.get('bad', async () => 42), 42, 'a failed load is not kept');

  await cache.get('x', load);
  await cache.get('y', load);
  t.equal(cache.size, 2, 'at most max entries; the least recently used go first');
  const before = loads;
  await cache.get('y', load);
  t.equal(loads, before, 'y is still there');
  await cache.get('k', load);
  t.equal(loads, before + 1, 'k was dropped');
});
