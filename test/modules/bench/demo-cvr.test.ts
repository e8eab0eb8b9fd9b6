import { sql } from 'drizzle-orm';
import t from 'tap';
import { grantCsv } from '../../../bench/grant-csv.ts';
import { ensureDemoData } from '../../../src/demo.ts';
import { passesModulus11 } from '../../../src/lib/cvr.ts';
import { buildTestApp } from '../../helper.ts';

t.test('every demo CVR passes the modulus-11 check and can be edited through the API', async (t) => {
  const h = await buildTestApp(t, { users: false });
  t.equal(await ensureDemoData(h.app), true, 'seeded');
  const rows = await h.database.rows<{ id: number; cvr: string; version: number; home: number }>(
    sql`select id, cvr, version, home_municipality_code as home from actors where cvr is not null order by id`,
  );
  t.ok(rows.length > 0, 'the demo has actors with a CVR number');
  const admin = await h.as('admin', 101);
  for (const row of rows) {
    t.ok(passesModulus11(row.cvr), `demo CVR ${row.cvr} passes the app's own check`);
    const client = row.home === 101 ? admin : await h.as('admin', row.home);
    const edited = await client.inject({
      method: 'PATCH',
      url: `/api/v1/actors/${row.id}`,
      payload: { cvr: row.cvr, phone: '33 12 34 56', version: row.version },
    });
    t.equal(edited.statusCode, 200, `the actor with CVR ${row.cvr} can be edited with its own CVR`);
  }
});

t.test('every CVR in the bench grant list passes the modulus-11 check', async (t) => {
  const csv = grantCsv({ rows: 2_000, actors: 400, groups: ['Hjemløshed'] });
  const cvrs = new Set(
    csv
      .trim()
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(';')[2] ?? '')
      .filter((cvr) => cvr !== ''),
  );
  t.ok(cvrs.size >= 100, 'the list has CVR numbers');
  const failing = [...cvrs].filter((cvr) => !passesModulus11(cvr));
  t.same(failing, [], 'none fails the check');
});
