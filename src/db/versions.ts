import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

/**
 * Versioned rows (DESIGN.md): every update of such a row raises its version by one, and a form or an
 * API client names the version it read, so that a change made meanwhile is refused rather than
 * overwritten. The rule, in one place, for each repository's updates: drizzle's (`nextVersion`,
 * `nextVersionNow`, `atVersion`) and those written as SQL (`nextVersionNowSql`).
 */

/** The next version of a row: one more than it has. */
export function nextVersion(table: { version: AnyPgColumn }): { version: SQL } {
  return { version: sql`${table.version} + 1` };
}

/** The next version of a row that keeps when it last changed: one more, changed now. */
export function nextVersionNow(table: { version: AnyPgColumn; updatedAt: AnyPgColumn }): {
  version: SQL;
  updatedAt: SQL;
} {
  return { version: sql`${table.version} + 1`, updatedAt: sql`now()` };
}

/**
 * `nextVersionNow` in an UPDATE written as SQL: `version = version + 1, updated_at = now()`, the old
 * version read through `alias` where the statement names the table so (beside another's columns).
 */
export function nextVersionNowSql(alias?: string): SQL {
  const old = alias ? sql`${sql.identifier(alias)}.version` : sql`version`;
  return sql`version = ${old} + 1, updated_at = now()`;
}

/** The row with this id, as long as it is still at the version the caller read. */
export function atVersion(table: { id: AnyPgColumn; version: AnyPgColumn }, id: number, version: number): SQL {
  return and(eq(table.id, id), eq(table.version, version)) as SQL;
}
