/**
 * Whole numbers as one array parameter ("{1,2,3}", cast with ::int[] in the SQL): one statement
 * whatever their number, so a prepared statement serves every length; the planner sees how many
 * there are, and an index is used for a few (a JSON list it would guess at a hundred).
 */
export function intArray(ids: number[]): string {
  if (!ids.every(Number.isSafeInteger)) throw new Error('not whole numbers');
  return `{${ids.join(',')}}`;
}

/**
 * A json value as either driver returns it: parsed already, or as its text.
 * @deprecated Both drivers parse json (db/driver-types.ts); left for grants.repository.ts until its
 * rework is merged.
 */
export function jsonOf<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
