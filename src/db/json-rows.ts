import { type Column, type SQL, sql } from 'drizzle-orm';

/**
 * A list's rows as one JSON array, in the list's order, an empty array when it has none: the list
 * ends in ORDER BY (and LIMIT), so PostgreSQL keeps it a subquery of its own and aggregates its rows
 * as they come out of the sort (its documentation promises this only "usually"; the tests of each
 * list read so check their order against the list read on its own).
 */
export function jsonArray(list: SQL): SQL {
  return sql`(select coalesce(json_agg(x), '[]'::json) from (${list}) x)`;
}

/**
 * Columns as a select list named by the given keys, for rows a statement reads as JSON (json_agg):
 * each row's keys are the object's, as a select of the same object gives them.
 */
export function selectAs(columns: Record<string, Column | SQL>): SQL {
  return sql.join(
    Object.entries(columns).map(([name, column]) => sql`${column} as ${sql.identifier(name)}`),
    sql`, `,
  );
}
