import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Attempts counted against a rate limit (`src/db/rate-limits.ts`): one row per key (the limit's
 * name and, say, an IP or e-mail address) and fixed window. Kept in the database, not in a
 * process, so that every app process counts against the same limit and a burst spread over
 * several processes cannot slip past it (DESIGN.md: counters under concurrency live in the
 * database). Rows of windows long past are swept as attempts come.
 */
export const rateLimitWindows = pgTable(
  'rate_limit_windows',
  {
    key: text('key').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index('rate_limit_windows_start_idx').on(t.windowStart)],
);
