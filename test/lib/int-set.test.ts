import t from 'tap';
import { IntMap, IntSet } from '../../src/lib/int-set.ts';

t.test('an IntSet holds what a Set of the same numbers holds', async (t) => {
  const set = new IntSet();
  const reference = new Set<number>();
  // Hashes of every kind: 0, negative, the extremes, near neighbours, and values that differ only
  // in their high bits; enough to make the table grow several times.
  const values = [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 1 << 20, 2 << 20, 3 << 20];
  let x = 12345;
  for (let i = 0; i < 50_000; i++) {
    x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) | 0;
    values.push(i % 7 === 0 ? i << 16 : x);
  }
  const wrong: number[] = [];
  for (const v of [...values, ...values.slice(0, 5000)]) {
    if (set.add(v) === reference.has(v)) wrong.push(v);
    reference.add(v);
  }
  t.same(wrong, [], 'add() is true exactly for a new member');
  t.equal(set.size, reference.size, 'the same size');
  t.ok(
    values.every((v) => set.has(v)),
    'every member is found',
  );
  t.ok(
    [7, -7, 99 << 16, 123456789].filter((v) => !reference.has(v)).every((v) => !set.has(v)),
    'no other number is',
  );
});

t.test('an IntMap answers what a Map of the same numbers answers', async (t) => {
  const map = new IntMap();
  const reference = new Map<number, number>();
  let x = 777;
  const wrong: number[] = [];
  for (let i = 0; i < 60_000; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) | 0;
    const key = i % 5 === 0 ? i % 3000 : x; // some keys set again, with another value
    map.set(key, i);
    reference.set(key, i);
  }
  map.set(0, -5);
  reference.set(0, -5);
  for (const [k, v] of reference) if (map.get(k) !== v) wrong.push(k);
  t.same(wrong, [], 'every key gives its last value');
  t.equal(map.size, reference.size, 'the same size');
  t.equal(map.get(123456789), reference.get(123456789), 'a key never set gives undefined');
  t.notOk(map.has(-123), 'and is not had');
});
