import t from 'tap';
import { createReadCache } from '../../src/lib/read-cache.ts';
import { tagsOfNotification, tagsOfWrite, WriteClock, writeTag } from '../../src/lib/write-tags.ts';

t.test(
  'a read is reused until a write touching its tags or the TTL, shared while loading, failures not kept',
  async (t) => {
    const writes = new WriteClock();
    let loads = 0;
    // A TTL no test run outlasts: what ends a read's use here is a write, however slow the machine.
    const cache = createReadCache<number>(writes, { max: 2, ttlMs: 600_000 });
    const load = async () => ++loads;
    const tags = [writeTag.municipality(101)];

    const [a, b] = await Promise.all([cache.get('k', tags, load), cache.get('k', tags, load)]);
    t.same([a, b, loads], [1, 1, 1], 'two concurrent reads, one load');
    t.equal(await cache.get('k', tags, load), 1, 'reused');
    writes.touch(tagsOfWrite(751, 'grant'));
    t.equal(await cache.get('k', tags, load), 1, 'a write in another municipality leaves it');
    writes.touch(tagsOfWrite(101, 'application'));
    writes.touch(tagsOfWrite(101, 'application_document'));
    t.equal(await cache.get('k', tags, load), 1, 'an applicant’s write (no account) leaves the municipality’s reads');
    t.same(tagsOfWrite(101, 'application'), [writeTag.applications], 'it touches applications only');
    writes.touch(tagsOfWrite(101, 'grant'));
    t.equal(await cache.get('k', tags, load), 2, 'a write in its own ends its use');
    writes.touch('all');
    t.equal(await cache.get('k', tags, load), 3, 'and so does a write of everything');

    await t.rejects(cache.get('bad', tags, async () => Promise.reject(new Error('no'))));
    t.equal(await cache.get('bad', tags, async () => 42), 42, 'a failed load is not kept');

    await cache.get('x', tags, load);
    await cache.get('y', tags, load);
    t.equal(cache.size, 2, 'at most max entries; the least recently used go first');
    const before = loads;
    await cache.get('y', tags, load);
    t.equal(loads, before, 'y is still there');
    await cache.get('k', tags, load);
    t.equal(loads, before + 1, 'k was dropped');
  },
);

t.test('the TTL ends the use of a read: a wait longer than the TTL always does, on any machine', async (t) => {
  let loads = 0;
  const cache = createReadCache<number>(new WriteClock(), { max: 2, ttlMs: 5 });
  const load = async () => ++loads;
  t.equal(await cache.get('k', [writeTag.municipality(101)], load), 1);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(await cache.get('k', [writeTag.municipality(101)], load), 2, 'loaded again after the TTL');
});

t.test('a write during a load ends the use of what it loaded; tags may come from the value', async (t) => {
  const writes = new WriteClock();
  const cache = createReadCache<{ code: number; n: number }>(writes, { max: 10, ttlMs: 60_000 });
  let n = 0;
  const tagsOf = (v: { code: number }) => [writeTag.municipality(v.code)];
  const slow = cache.get('r', tagsOf, async () => {
    writes.touch(tagsOfWrite(101, 'grant'));
    return { code: 101, n: ++n };
  });
  t.equal((await slow).n, 1);
  t.equal((await cache.get('r', tagsOf, async () => ({ code: 101, n: ++n }))).n, 2, 'read again');
  t.equal((await cache.get('r', tagsOf, async () => ({ code: 101, n: ++n }))).n, 2, 'then kept');
  writes.touch(tagsOfWrite(751, 'actor'));
  t.equal((await cache.get('r', tagsOf, async () => ({ code: 101, n: ++n }))).n, 2, 'an actor of 751 is not 101’s');
});

t.test('what a write touches', async (t) => {
  t.same(tagsOfWrite(101, 'grant'), ['m:101', 'm:*']);
  t.same(tagsOfWrite(101, 'actor'), ['m:101', 'm:*', 'actors'], 'actors are everyone’s');
  t.same(tagsOfWrite(101, 'user'), ['m:101', 'm:*', 'users'], 'a user touches the lists of users');
  t.same(tagsOfNotification('147:user'), ['m:147', 'm:*', 'users'], 'as another process’s write of a user does');
  t.notOk(tagsOfWrite(101, 'meeting').includes('users'), 'a meeting does not');
  t.equal(tagsOfWrite(null, 'grant'), 'all', 'no municipality: everything');
  t.same(tagsOfNotification('101:grant,751:target_group'), ['m:101', 'm:*', 'm:751', 'target-groups']);
  t.equal(tagsOfNotification(''), 'all', 'an empty notification (too long, or an old trigger) is everything');
  t.equal(tagsOfNotification(':user'), 'all');
  t.equal(tagsOfNotification('junk'), 'all');
});

t.test('with weights, the least recently used go first once the weight is over its bound', async (t) => {
  const cache = createReadCache<string>(new WriteClock(), {
    max: 100,
    ttlMs: 60_000,
    weigh: (v) => v.length,
    maxWeight: 10,
  });
  let loads = 0;
  const load = (v: string) => async () => {
    loads++;
    return v;
  };
  await cache.get('a', [], load('aaaa'));
  await cache.get('b', [], load('bbbb'));
  t.equal(cache.weight, 8);
  await cache.get('a', [], load('aaaa'));
  t.equal(loads, 2, 'a is reused, and is now the most recently used');
  await cache.get('c', [], load('cccc'));
  t.equal(cache.weight, 8, 'b went to make room');
  t.equal(cache.size, 2);
  await cache.get('a', [], load('aaaa'));
  t.equal(loads, 3, 'a was kept');
  await cache.get('b', [], load('bbbb'));
  t.equal(loads, 4, 'b was read again');
  await cache.get('big', [], load('x'.repeat(11)));
  t.ok(cache.weight <= 10, 'a value heavier than the bound is not kept');
});

t.test('a TTL of 0 keeps nothing', async (t) => {
  let loads = 0;
  const cache = createReadCache<number>(new WriteClock(), { max: 10, ttlMs: 0 });
  await cache.get('k', [], async () => ++loads);
  await cache.get('k', [], async () => ++loads);
  t.equal(loads, 2);
  t.equal(cache.size, 0);
});
