import t, { type Test } from 'tap';
import { createReadCache } from '../../src/lib/read-cache.ts';

/** The clock the cache reads, moved by the test: no assertion depends on how fast the machine is. */
function fakeClock(t: Test) {
  const realNow = Date.now;
  let now = realNow();
  Date.now = () => now;
  t.teardown(() => {
    Date.now = realNow;
  });
  return (ms: number) => {
    now += ms;
  };
}

t.test('a read is reused until a write or the TTL, shared while loading, and failures are not kept', async (t) => {
  const advance = fakeClock(t);
  let generation = 0;
  let loads = 0;
  const cache = createReadCache<number>(() => generation, { max: 2, ttlMs: 50 });
  const load = async () => ++loads;

  const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
  t.same([a, b, loads], [1, 1, 1], 'two concurrent reads, one load');
  t.equal(await cache.get('k', load), 1, 'reused');
  generation++;
  t.equal(await cache.get('k', load), 2, 'a committed write ends its use');
  advance(49);
  t.equal(await cache.get('k', load), 2, 'still reused within the TTL');
  advance(1);
  t.equal(await cache.get('k', load), 3, 'and the TTL ends its use');

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

t.test('with weights, the least recently used go first once the weight is over its bound', async (t) => {
  const cache = createReadCache<string>(() => 0, { max: 100, ttlMs: 60_000, weigh: (v) => v.length, maxWeight: 10 });
  let loads = 0;
  const load = (v: string) => async () => {
    loads++;
    return v;
  };
  await cache.get('a', load('aaaa'));
  await cache.get('b', load('bbbb'));
  t.equal(cache.weight, 8);
  await cache.get('a', load('aaaa'));
  t.equal(loads, 2, 'a is reused, and is now the most recently used');
  await cache.get('c', load('cccc'));
  t.equal(cache.weight, 8, 'b went to make room');
  t.equal(cache.size, 2);
  await cache.get('a', load('aaaa'));
  t.equal(loads, 3, 'a was kept');
  await cache.get('b', load('bbbb'));
  t.equal(loads, 4, 'b was read again');
  await cache.get('big', load('x'.repeat(11)));
  t.ok(cache.weight <= 10, 'a value heavier than the bound is not kept');
});

t.test('a TTL of 0 keeps nothing', async (t) => {
  let loads = 0;
  const cache = createReadCache<number>(() => 0, { max: 10, ttlMs: 0 });
  await cache.get('k', async () => ++loads);
  await cache.get('k', async () => ++loads);
  t.equal(loads, 2);
  t.equal(cache.size, 0);
});
