import { z } from 'zod';

/**
 * The largest id a row can have: ids are PostgreSQL `integer` columns (a grant's payments, `bigint`,
 * aside: their API and pages read them up to Number.MAX_SAFE_INTEGER). The one place for the range
 * every API body, path, query and form reads an id by; a larger number would fail in the database
 * instead of as bad input.
 */
export const MAX_ROW_ID = 2_147_483_647;

/** A row's id in a JSON body. */
export const rowId = z.number().int().positive().max(MAX_ROW_ID);

/** A row's id in a path, a query string or a form field: text, read as a number. */
export const rowIdParam = z.coerce.number().int().positive().max(MAX_ROW_ID);

/** The params of a path that names one row (`/api/v1/actors/:id`). */
export const rowIdParams = z.object({ id: rowIdParam });

/** Whether a number can be a row's id. */
export function isRowId(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && n <= MAX_ROW_ID;
}

/** A row's version (versioned rows count their changes from 1), as read from a body: an `integer` too. */
export const rowVersion = z.number().int().positive().max(MAX_ROW_ID);

/** A row's version in a form field: text, read as a number. */
export const rowVersionParam = z.coerce.number().int().positive().max(MAX_ROW_ID);

/** The largest id of a `bigint` id column (a grant's payments) that a number holds exactly. */
export const MAX_BIG_ROW_ID = Number.MAX_SAFE_INTEGER;

/** A `bigint` row id in a path or a query string. */
export const bigRowIdParam = z.coerce.number().int().positive().max(MAX_BIG_ROW_ID);
