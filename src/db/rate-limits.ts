import { sql } from 'drizzle-orm';
import { type Queryable, rows } from './client.ts';

/**
 * Counts one attempt for `key` in the window that began at `windowStart`, and returns the window's
 * attempts so far, this one included. One statement: concurrent attempts on one key wait for each
 * other's row (the upsert), so each gets its own count. Up to 100 rows of windows that ended more
 * than a day ago go in the same statement (those another attempt is sweeping are skipped).
 */
async function countAttempt(db: Queryable, key: string, windowStart: Date): Promise<number> {
  // As text: the app's postgres.js serialises no Date in a raw statement's parameters.
  const start = windowStart.toISOString();
  const [row] = await rows<{ hits: number }>(
    db,
    sql`with swept as (
        delete from rate_limit_windows where ctid in (
          select ctid from rate_limit_windows where window_start < ${start}::timestamptz - interval '1 day' limit 100 for update skip locked))
      insert into rate_limit_windows (key, window_start, hits) values (${key}, ${start}::timestamptz, 1)
      on conflict (key, window_start) do update set hits = rate_limit_windows.hits + 1
      returning hits`,
  );
  return Number(row?.hits);
}

/**
 * A fixed-window limit per key (an IP address, an e-mail address), counted in the database
 * (`rate_limit_windows`), so that it holds across the app's processes. `take` counts one attempt
 * and says whether it is within the limit; attempts arriving at once are counted one by one.
 */
export interface RateLimiter {
  /** Counts an attempt for key at `at`; false once the window's limit is used up. */
  take(key: string, at?: Date): Promise<boolean>;
}

export function createRateLimiter(
  db: Queryable,
  options: { name: string; limit: number; windowMs: number },
): RateLimiter {
  const { name, limit, windowMs } = options;
  return {
    async take(key, at = new Date()) {
      const windowStart = new Date(Math.floor(at.getTime() / windowMs) * windowMs);
      return (await countAttempt(db, `${name}:${key}`, windowStart)) <= limit;
    },
  };
}
