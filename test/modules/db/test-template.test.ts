import { sql } from 'drizzle-orm';
import t from 'tap';
import { onPostgres, openTestDatabase } from '../../helper.ts';

/**
 * The test databases are copies of one migrated template. On PGlite the template's postgresql.conf
 * sets small shared buffers: PGlite zeroes them at every start, and with its default of 128 MB that
 * was 0.6 s of CPU for each of the suite's few hundred databases.
 */
t.test(
  'a PGlite test database starts with 16 MB of shared buffers',
  { skip: onPostgres && 'PGlite only' },
  async (t) => {
    const database = await openTestDatabase(t);
    const [row] = await database.rows<{ shared_buffers: string }>(sql`show shared_buffers`);
    t.equal(row?.shared_buffers, '16MB');
    const [count] = await database.rows<{ n: number }>(sql`select count(*)::int as n from municipalities`);
    t.equal(Number(count?.n), 98, 'and it is the migrated template, with the 98 municipalities');
  },
);
