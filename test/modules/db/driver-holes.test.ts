import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import t from 'tap';
import { type Db, rows } from '../../../src/db/client.ts';
import { closeLeadingHoles, preparing } from '../../../src/db/driver-patches.ts';
import { onPostgres, openTestDatabase } from '../../helper.ts';

t.test('leading holes are closed in place, and a full result is left as it is', async (t) => {
  const holed: unknown[] = [];
  holed[3] = 'a';
  holed[4] = 'b';
  closeLeadingHoles(holed);
  t.same(holed, ['a', 'b']);
  const full = ['a', undefined, 'c'];
  closeLeadingHoles(full);
  t.same(full, ['a', undefined, 'c'], 'a real undefined value inside is not a hole');
});

t.test(
  'a statement after one that failed with rows sent answers its own rows, without holes in front',
  { skip: !onPostgres && 'postgres.js only' },
  async (t) => {
    const database = await openTestDatabase(t);
    // One connection, as the app's pool hands the same one to consecutive statements.
    const client = preparing(postgres(database.url as string, { max: 1, onnotice: () => {} }));
    t.teardown(() => client.end({ timeout: 5 }));
    const db = drizzle(client) as unknown as Db;
    // Three rows reach the client, then the fourth fails: the statement ends with an error.
    const failed = await rows(db, sql`select i, 1 / (4 - i) as share from generate_series(1, 10) i`).catch(
      (err: { code?: string; cause?: { code?: string } }) => err.code ?? err.cause?.code,
    );
    t.equal(failed, '22012', 'division by zero, after three rows');
    const prepared = await rows<{ x: number }>(db, sql`select x from generate_series(1, ${5}::int) x`);
    t.equal(prepared.length, 5, 'five rows, no holes');
    t.same(
      prepared.map((r) => r.x),
      [1, 2, 3, 4, 5],
    );
    await rows(db, sql`select i, 1 / (3 - i) as share from generate_series(1, 10) i`).catch(() => undefined);
    const simple = await rows<{ one: number }>(db, sql`select 1 as one`);
    t.same(simple, [{ one: 1 }], 'and a statement without parameters too');
  },
);
