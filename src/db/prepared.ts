import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Queryable } from './client.ts';
import { flatRowMapper, nestedRowMapper, takeRows } from './row-mapper.ts';

/** What drizzle's `.prepare(name)` gives: the statement, run again with new values for its placeholders. */
interface Prepared<R> {
  execute(values?: Record<string, unknown>): Promise<R>;
  getQuery(): { sql: string; params: unknown[] };
}

/**
 * What drizzle needs to run a statement already built on another handle, as its select and insert
 * builders hand it to a session (`session.prepareQuery`): the columns to read the rows into, whether
 * rows come as arrays, and the mapper that reads them (which, for a select with joined tables, holds
 * the map of those a left join may null, read from the first statement's `joinsNotNullableMap`). Both
 * drivers' prepared statements keep them under these names (drizzle-orm 0.45); the test of this
 * file runs a statement built on the database in a transaction on both and compares the rows.
 */
interface Built {
  queryMetadata?: unknown;
  cacheConfig?: unknown;
  fields?: unknown;
  _isResponseInArrayMode?: boolean;
  customResultMapper?: unknown;
  joinsNotNullableMap?: Record<string, boolean>;
}

interface Session {
  prepareQuery(
    query: { sql: string; params: unknown[] },
    fields: unknown,
    name: string | undefined,
    isResponseInArrayMode: boolean | undefined,
    customResultMapper?: unknown,
    queryMetadata?: unknown,
    cacheConfig?: unknown,
  ): Prepared<unknown> & Built;
}

/**
 * A statement whose SQL drizzle builds once for the process, not on every call (issue 17). With the
 * query builder, building a statement's text can cost more CPU than sending it, running it and
 * reading its rows: the session lookup that every request makes took about 170 µs to build and
 * 90 µs for all the rest (bench/PAGE-COSTS.md). Its values are placeholders (`sql.placeholder('id')`),
 * given with each run. A placeholder compared with a column in a condition, or written inside `sql`,
 * is sent as given, with no mapping by the column: give the driver's value (a number, a string, JSON
 * as text), not a Date. One given as an insert's column value is mapped by its column, as drizzle
 * maps it, null too (a json column's null becomes JSON null): write `sql\`${sql.placeholder('x')}\``
 * for SQL NULL there. Every placeholder needs a value: undefined is sent as it is, where the builder
 * would have left the column to its default.
 *
 * The first call builds it; each handle (the database, a transaction) then gets its own prepared
 * statement of that text, kept weakly for as long as the handle lives, since a statement runs on
 * its handle's connection.
 */
export function builtOnce<V extends Record<string, unknown>, R>(
  name: string,
  build: (db: Queryable) => { prepare(name: string): Prepared<R> },
): (db: Queryable, values: V) => Promise<R> {
  let built: (Built & { query: { sql: string; params: unknown[] } }) | undefined;
  const kept = new WeakMap<Queryable, Prepared<R>>();
  return (db, values) => {
    let statement = kept.get(db);
    if (!statement) {
      if (built) {
        // Its rows are read by the mapper made with the first (which holds the joins' map drizzle's
        // own reading needs), so the statement needs nothing more from the builder.
        statement = (db._.session as unknown as Session).prepareQuery(
          built.query,
          built.fields,
          name,
          built._isResponseInArrayMode,
          built.customResultMapper,
          built.queryMetadata,
          built.cacheConfig,
        ) as unknown as Prepared<R>;
      } else {
        statement = build(db).prepare(name);
        const first = statement as Prepared<R> & Built;
        // Rows read with each column's decoder found once, not for every row, and the driver's own
        // list of them emptied once read (row-mapper.ts). A statement without fields (an insert with
        // no returning) answers the driver's result as it is, with its count.
        if (first.fields)
          first.customResultMapper ??=
            flatRowMapper(first.fields) ?? nestedRowMapper(first.fields, first.joinsNotNullableMap);
        built = {
          query: first.getQuery(),
          fields: first.fields,
          _isResponseInArrayMode: first._isResponseInArrayMode,
          customResultMapper: first.customResultMapper,
          queryMetadata: first.queryMetadata,
          cacheConfig: first.cacheConfig,
        };
      }
      kept.set(db, statement);
    }
    return statement.execute(values);
  };
}

/**
 * A statement of several shapes, each built once (builtOnce): a list whose conditions depend on the
 * filters given. `shape` names the filters that apply (a few, so a few shapes), and `build` writes the
 * statement of that shape with placeholders for their values.
 */
export function builtOnceEach<S extends string, V extends Record<string, unknown>, R>(
  name: string,
  build: (db: Queryable, shape: S) => { prepare(name: string): Prepared<R> },
): (db: Queryable, shape: S, values: V) => Promise<R> {
  const shapes = new Map<S, (db: Queryable, values: V) => Promise<R>>();
  return (db, shape, values) => {
    let statement = shapes.get(shape);
    if (!statement) {
      statement = builtOnce<V, R>(`${name}:${shape}`, (on) => build(on, shape));
      shapes.set(shape, statement);
    }
    return statement(db, values);
  };
}

/** Writes a raw statement's text; Samspil's drizzle has no casing rule, so any dialect writes the same. */
const dialect = new PgDialect();

/**
 * A raw statement (sql`…`, its values `sql.placeholder(name)`) built once as builtOnce builds a
 * select, its rows as rows() gives them: the same values from both drivers.
 */
export function sqlOnce<V extends Record<string, unknown>, R extends object>(
  name: string,
  build: () => SQL,
): (db: Queryable, values: V) => Promise<R[]> {
  const statement = builtOnce<V, unknown>(name, (db) => ({
    prepare: (as) =>
      (db._.session as unknown as Session).prepareQuery(dialect.sqlToQuery(build()), undefined, as, false),
  }));
  return async (db, values) => {
    return takeRows<R>(await statement(db, values));
  };
}

/** A raw statement of several shapes, each built once (sqlOnce), as builtOnceEach does for selects. */
export function sqlOnceEach<S extends string, V extends Record<string, unknown>, R extends object>(
  name: string,
  build: (shape: S) => SQL,
): (db: Queryable, shape: S, values: V) => Promise<R[]> {
  const shapes = new Map<S, (db: Queryable, values: V) => Promise<R[]>>();
  return (db, shape, values) => {
    let statement = shapes.get(shape);
    if (!statement) {
      statement = sqlOnce<V, R>(`${name}:${shape}`, () => build(shape));
      shapes.set(shape, statement);
    }
    return statement(db, values);
  };
}
