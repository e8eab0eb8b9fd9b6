import { sql } from 'drizzle-orm';
import t from 'tap';
import { rows } from '../../../src/db/client.ts';
import { pgliteSerializers } from '../../../src/db/driver-types.ts';
import { openTestDatabase } from '../../helper.ts';

/**
 * Both drivers give the same JS value for the same SQL type (src/db/driver-types.ts), so a raw
 * query's rows need no per-driver care. The same expectations run on PGlite and on PostgreSQL.
 */

const everyType = sql`select 1::int4 as int4, 2::int2 as int2, 3::int8 as int8, count(*) as count, sum(x) as "sumInt4",
    9007199254740993::int8 as "bigInt8", sum(x::int8) as "sumInt8", 1.50::numeric as numeric, 1.5::float8 as float8,
    '{"a":[1,"b"]}'::json as json, '{"a":1}'::jsonb as jsonb, array_agg(x) as int4s, array[4, 5]::int8[] as int8s,
    ${'{6,7}'}::int[] as "intParam", '\\x00ff10'::bytea as bytea, true as bool, 'tekst'::text as text,
    '2026-01-02'::date as date, '2026-01-02 03:04:05+00'::timestamptz as timestamptz,
    '2026-01-02 03:04:05'::timestamp as timestamp, '1 day'::interval as interval
  from (values (1), (2)) v(x)`;

const expected = {
  int4: 1,
  int2: 2,
  int8: 3,
  count: 2,
  sumInt4: 3,
  bigInt8: 9007199254740993n,
  sumInt8: '3',
  numeric: '1.50',
  float8: 1.5,
  json: { a: [1, 'b'] },
  jsonb: { a: 1 },
  int4s: [1, 2],
  int8s: [4, 5],
  intParam: [6, 7],
  bytea: Buffer.from([0, 255, 16]),
  bool: true,
  text: 'tekst',
  date: '2026-01-02',
  timestamptz: '2026-01-02 03:04:05+00',
  timestamp: '2026-01-02 03:04:05',
  interval: '1 day',
};

function typesOf(row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? 'Buffer' : Array.isArray(v) ? 'array' : typeof v]),
  );
}

t.test('every SQL type the app reads comes back as the same JS value on either driver', async (t) => {
  const database = await openTestDatabase(t);
  const [row] = await rows(database.db, everyType);
  t.strictSame(row, expected);
  t.strictSame(typesOf(row ?? {}), typesOf(expected), 'the same JS types');
  const [inTransaction] = await database.db.transaction((tx) => rows(tx, everyType));
  t.strictSame(inTransaction, expected, 'in a transaction too');
  const [inSavepoint] = await database.db.transaction((tx) => tx.transaction((sp) => rows(sp, everyType)));
  t.strictSame(inSavepoint, expected, 'and in a savepoint');
});

t.test("drizzle's own queries read int8 the same way: a count is a number", async (t) => {
  const database = await openTestDatabase(t);
  const [counted] = await database.db.select({ n: sql<number>`count(*) over ()` }).from(sql`(values (1)) v(x)`);
  t.equal(counted?.n, 1);
});

t.test('a bytea parameter is written byte for byte on either driver, whatever view of memory holds it', async (t) => {
  const database = await openTestDatabase(t);
  const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  // A view into a larger buffer (as Node's pooled small Buffers and a read stream's pieces are):
  // only its own bytes are written.
  const pool = Buffer.concat([Buffer.from('før'), every, Buffer.from('efter')]);
  const view = pool.subarray(4, 4 + 256);
  const cases: [string, Uint8Array][] = [
    ['a Buffer of every byte value', every],
    ['a view into a larger Buffer', view],
    ['a Uint8Array', new Uint8Array(every)],
    ['an empty Buffer', Buffer.alloc(0)],
  ];
  for (const [what, value] of cases) {
    const [row] = await rows<{ back: Buffer; length: number; hex: string }>(
      database.db,
      sql`select ${value}::bytea as back, length(${value}::bytea)::int as length, encode(${value}::bytea, 'hex') as hex`,
    );
    t.equal(row?.length, value.byteLength, `${what}: its length`);
    t.equal(row?.hex, Buffer.from(value).toString('hex'), `${what}: its bytes`);
    t.ok(Buffer.isBuffer(row?.back) && row.back.equals(Buffer.from(value)), `${what}: read back as a Buffer`);
  }
  // PGlite's own serializer writes the same bytes, only slower (bench/pglite-bytea.ts): it is not the one in use.
  if (database.pglite) {
    const inUse = (database.pglite as unknown as { serializers: Record<number, unknown> }).serializers[17];
    t.equal(inUse, pgliteSerializers[17], 'PGlite writes bytea with Samspil’s serializer');
  }
});
