/**
 * Whole numbers as one array parameter ("{1,2,3}", cast with ::int[] in the SQL): one statement
 * whatever their number, so a prepared statement serves every length; the planner sees how many
 * there are, and an index is used for a few (a JSON list it would guess at a hundred).
 */
export function intArray(ids: number[]): string {
  if (!ids.every(Number.isSafeInteger)) throw new Error('not whole numbers');
  return `{${ids.join(',')}}`;
}
