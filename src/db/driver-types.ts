/**
 * The JS value each SQL type becomes, the same on PGlite and on postgres.js, so that a raw `sql`
 * query gives the same rows whichever database runs:
 *
 * | SQL | JS |
 * |---|---|
 * | int2, int4, float4, float8 | number |
 * | int8 (count(*), sum of int4, a bigserial id, one amount in øre) | number; a bigint beyond 2^53, exact and loud in JSON |
 * | numeric (a sum of int8: the øre totals) | string, exact: `oreSum` reads it (lib/money.ts) |
 * | json, jsonb | parsed |
 * | other arrays | arrays of the element's type |
 * | timestamp, timestamptz, date, interval | text as PostgreSQL writes it (drizzle's columns read it from that) |
 * | arrays of those, and numeric[] | text as PostgreSQL writes it, as drizzle asks for them (interval[] on postgres.js: an array of text) |
 * | bytea | Buffer |
 *
 * Each driver's own defaults already agree on all but two: postgres.js gives int8 as a string
 * (PGlite as a number), and PGlite gives bytea as a Uint8Array (postgres.js as a Buffer). A bytea
 * parameter is written the same way by both: hex text that Buffer encodes.
 */
const INT8 = 20;
const BYTEA = 17;

/** int8 as a number when a double holds it exactly, else as a bigint (never silently rounded). */
function int8(text: string): number | bigint {
  const value = BigInt(text);
  return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
}

/** bytea in PostgreSQL's hex output ("\x0102") as a Buffer. */
function bytea(text: string): Buffer {
  return Buffer.from(text.slice(2), 'hex');
}

/** PGlite's `parsers` option. Its int8[] elements already read as `int8` does. */
export const pgliteParsers = { [INT8]: int8, [BYTEA]: bytea };

/**
 * The types drizzle reads from the text PostgreSQL writes, and asks PGlite for as text with every
 * statement: timestamp, timestamptz, interval, date, and the arrays numeric[], timestamp[],
 * timestamptz[], interval[] and date[]. An opened PGlite parses them so itself (textAsWritten), and
 * drizzle's copy of the same parsers is not passed on (driver-patches.ts, parsersOnce).
 */
export const TEXT_AS_WRITTEN: ReadonlySet<number> = new Set([1114, 1184, 1186, 1082, 1231, 1115, 1185, 1187, 1182]);

/**
 * Sets an opened PGlite to give the TEXT_AS_WRITTEN types as text, to every caller (a raw
 * `pglite.query` included). After it opens: PGlite builds each array type's parser when it starts
 * (and again in refreshArrayTypes, which Samspil never calls), over what the constructor set.
 */
export function textAsWritten(pglite: { parsers: Record<number, (text: string, typeId: number) => unknown> }): void {
  for (const type of TEXT_AS_WRITTEN) pglite.parsers[type] = (text: string) => text;
}

/**
 * PGlite's `serializers` option: bytea as hex text, encoded by Buffer. PGlite's own turns each byte
 * into a string of its own and joins them: writing a 10 MB document's pieces took 3.0-3.4 s of CPU
 * with it and 0.6 s with this one (bench/pglite-bytea.ts measures both).
 */
export const pgliteSerializers = {
  [BYTEA]: (value: Uint8Array) => {
    if (!(value instanceof Uint8Array)) throw new TypeError('bytea takes a Buffer or Uint8Array');
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  },
};

/**
 * postgres.js's `types` option. Set before its first connection, the int8 parser serves int8[]
 * too: postgres.js builds each array type's parser from its element's when it fetches the types.
 */
export const postgresTypes = {
  int8: { to: INT8, from: [INT8], serialize: (value: number | bigint) => String(value), parse: int8 },
};
