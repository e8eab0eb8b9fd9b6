import { type Column, type SQL, sql } from 'drizzle-orm';

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
