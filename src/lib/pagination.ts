import { z } from 'zod';

/**
 * Every JSON list answers `{items, total}`: one page of items, and how many the whole filtered list
 * holds. A client pages with `limit` and `offset`, the same defaults and maximum on every list.
 */
const PAGE_LIMIT_DEFAULT = 100;
const PAGE_LIMIT_MAX = 500;
const OFFSET_MAX = 10_000_000;

/** The paging query every list takes; extend a list's own filters with it. */
export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMIT_MAX)
    .default(PAGE_LIMIT_DEFAULT)
    .describe(`How many items to answer (1–${PAGE_LIMIT_MAX}, default ${PAGE_LIMIT_DEFAULT})`),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(OFFSET_MAX)
    .default(0)
    .describe('How many items of the filtered list to skip (default 0)'),
});
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  items: T[];
  total: number;
}

/** The response schema of a list of `item`s. */
export function pageOfSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).describe('One page of the list, at most `limit` items from `offset` on'),
    total: z.number().int().min(0).describe('How many items the whole filtered list holds'),
  });
}

/** One page of a list already read whole (a short one: reference data, one agreement's meetings). */
export function pageOf<T>(all: readonly T[], page: PageQuery): Page<T> {
  return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
}

/**
 * A yes/no query parameter, typed as a boolean in the API's contract: `true` or `false` in the
 * address (a generated client writes booleans so), anything else is refused.
 */
export const queryFlag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
