import t from 'tap';
import { createRateLimiter } from '../../src/lib/rate-limit.ts';

t.test('a key gets its limit per window, then nothing until the window has passed', async (t) => {
  const limiter = createRateLimiter({ limit: 3, windowMs: 1_000 });
  const at = 10_000;
  t.same(
    [1, 2, 3, 4, 5].map(() => limiter.take('a', at)),
    [true, true, true, false, false],
  );
  t.equal(limiter.left('a', at), 0);
  t.ok(limiter.take('b', at), 'another key has its own count');
  t.notOk(limiter.take('a', at + 999), 'still the same window');
  t.ok(limiter.take('a', at + 1_000), 'a new window');
  t.equal(limiter.left('a', at + 1_000), 2);
});

t.test('a burst at once is counted one by one', async (t) => {
  const limiter = createRateLimiter({ limit: 5, windowMs: 60_000 });
  const results = await Promise.all(Array.from({ length: 30 }, async () => limiter.take('ip')));
  t.equal(results.filter(Boolean).length, 5);
});

t.test('at most maxKeys keys are kept: the oldest window goes first', async (t) => {
  const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 2 });
  t.ok(limiter.take('a', 1));
  t.ok(limiter.take('b', 2));
  t.ok(limiter.take('c', 3));
  t.equal(limiter.left('a', 4), 1, 'a was forgotten');
  t.equal(limiter.left('c', 4), 0);
});
