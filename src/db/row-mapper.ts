import * as drizzle from 'drizzle-orm';
import { Column, is, noopDecoder, SQL, Subquery } from 'drizzle-orm';

/** A column of a select as drizzle orders them (`orderSelectedFields`): where it goes, and what it is. */
interface SelectedField {
  path: string[];
  field: unknown;
}

interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}

/** A value that drizzle passes on as the driver gave it: a plain column's, and raw SQL's. */
const asGiven = new Set<unknown>([Column.prototype.mapFromDriverValue, noopDecoder.mapFromDriverValue]);

/** The decoder drizzle reads a column's values with (drizzle-orm 0.45's mapResultRow, in its order). */
function decoderOf(field: unknown): Decoder {
  if (is(field, Column)) return field;
  // drizzle's types leave out an SQL's decoder; its `.mapWith()` sets it.
  type Decoded = { decoder: Decoder };
  if (is(field, SQL)) return (field as unknown as Decoded).decoder;
  if (is(field, Subquery)) return (field as unknown as { _: { sql: Decoded } })._.sql.decoder;
  return (field as { sql: Decoded }).sql.decoder;
}

export type RowMapper = (rows: unknown[][]) => Record<string, unknown>[];

/**
 * Lets go of the rows in the driver's own answer once they are read into another list. postgres.js
 * keeps its answer as the value of its statement object, a promise, and that answer was measured to
 * survive V8's young collections long after its request had ended (why was not found; a full
 * collection frees it): up to 40 % of what was read was promoted to the old generation, where only a
 * mark-compact frees it. Emptied, the answer holds nothing: under load the actor search promoted
 * 34 kB a request before and 5 kB after, the home page 53 and 13 (bench/PAGE-COSTS.md, session 48).
 * This relies on nobody reading the answer again: drizzle runs with no query cache here (a cache
 * would keep the driver's list and hand it out again).
 */
function releaseDriverRows(rows: unknown[]): void {
  rows.length = 0;
}

/**
 * The rows of a raw statement's answer as a list of their own: postgres.js answers an Array subclass
 * with fields of its own (copied, then emptied: releaseDriverRows), PGlite `{ rows }` (a new list for
 * each statement, given as it is).
 */
export function takeRows<T>(result: unknown): T[] {
  if (!Array.isArray(result)) return (result as { rows: T[] }).rows;
  const own = Array.from(result) as T[];
  releaseDriverRows(result);
  return own;
}

/**
 * The rows of a select whose columns are all at the top level (no joined table's nested object), read
 * from the driver's arrays as drizzle reads them, but with each column's decoder found once for the
 * statement. drizzle's own `mapResultRow` works each column out again for every row: its class
 * checks (`is`, which walks the class chain) and an iterator over its path, some 10 % of an actor
 * search's CPU for 25 rows (bench/PAGE-COSTS.md, session 46). The driver's list it is given is
 * emptied once read (releaseDriverRows), on PGlite too, where that list is the statement's own. Undefined
 * for any other select: a nested path (a joined table, which a left join may null as a whole) is read
 * by drizzle's own mapping (nestedRowMapper).
 */
export function flatRowMapper(fields: unknown): RowMapper | undefined {
  if (!Array.isArray(fields) || fields.length === 0) return undefined;
  const keys: string[] = [];
  const decoders: (Decoder | undefined)[] = [];
  for (const { path, field } of fields as SelectedField[]) {
    if (path.length !== 1) return undefined;
    const decoder = decoderOf(field);
    keys.push(path[0] as string);
    decoders.push(asGiven.has(decoder.mapFromDriverValue) ? undefined : decoder);
  }
  const n = keys.length;
  return (rows) => {
    const out: Record<string, unknown>[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as unknown[];
      const item: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const value = row[i];
        const decoder = decoders[i];
        item[keys[i] as string] = value === null || decoder === undefined ? value : decoder.mapFromDriverValue(value);
      }
      out[r] = item;
    }
    releaseDriverRows(rows);
    return out;
  };
}

/** drizzle's own reading of a row (drizzle-orm 0.45 exports it, its types leave it out as internal). */
const mapResultRow = (drizzle as unknown as { mapResultRow: MapResultRow }).mapResultRow;
type MapResultRow = (
  fields: unknown,
  row: unknown[],
  joinsNotNullableMap: Record<string, boolean> | undefined,
) => Record<string, unknown>;
if (typeof mapResultRow !== 'function')
  throw new Error('drizzle-orm no longer exports mapResultRow: see row-mapper.ts');

/**
 * The rows of any other select built once (a joined table's nested object, which a left join may null
 * as a whole), read by drizzle's own `mapResultRow` as drizzle reads them, and the driver's list then
 * emptied (releaseDriverRows).
 */
export function nestedRowMapper(fields: unknown, joinsNotNullableMap: Record<string, boolean> | undefined): RowMapper {
  return (rows) => {
    const out = rows.map((row) => mapResultRow(fields, row, joinsNotNullableMap));
    releaseDriverRows(rows);
    return out;
  };
}
