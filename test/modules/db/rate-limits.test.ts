import { sql } from 'drizzle-orm';
import t from 'tap';
import { createRateLimiter } from '../../../src/db/rate-limits.ts';
import { openTestDatabase } from '../../helper.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 11, 5, 10) + ms);

t.test('rate limits counted in the database', async (t) => {
  const database = await openTestDatabase(t);
  const db = database.db;

  t.test('a key gets its limit per window, then nothing until the window has passed', async (t) => {
    const limiter = createRateLimiter(db, { name: 'one', limit: 3, windowMs: 60_000 });
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await limiter.take('a', at(i)));
    t.same(taken, [true, true, true, false, false]);
    t.ok(await limiter.take('b', at(0)), 'another key has its own count');
    t.notOk(await limiter.take('a', at(59_999)), 'still the same window');
    t.ok(await limiter.take('a', at(60_000)), 'a new window');
    const other = createRateLimiter(db, { name: 'two', limit: 3, windowMs: 60_000 });
    t.ok(await other.take('a', at(1)), 'another limit counts the same key apart');
  });

  t.test('a burst of 30 at once, through two limiters as two processes would have, gets the limit once', async (t) => {
    const first = createRateLimiter(db, { name: 'burst', limit: 5, windowMs: 3_600_000 });
    const second = createRateLimiter(db, { name: 'burst', limit: 5, windowMs: 3_600_000 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? first : second).take('198.51.100.7', at(i))),
    );
    t.equal(results.filter(Boolean).length, 5);
  });

  t.test('windows that ended more than a day ago are swept as attempts come', async (t) => {
    const limiter = createRateLimiter(db, { name: 'sweep', limit: 1, windowMs: 60_000 });
    const keys = async () =>
      (
        await database.rows<{ key: string }>(
          sql`select key from rate_limit_windows where key like 'sweep:%' order by window_start`,
        )
      ).map((r) => r.key);
    await limiter.take('old', at(0));
    await limiter.take('recent', at(86_400_000));
    t.same(await keys(), ['sweep:old', 'sweep:recent']);
    await limiter.take('new', at(86_400_000 + 120_000));
    t.same(await keys(), ['sweep:recent', 'sweep:new'], 'the window a day and more past is gone, the others kept');
  });
});
