import { sql } from 'drizzle-orm';
import t from 'tap';
import { SCALES, writeBenchData } from '../../../src/db/bench-data.ts';
import { passesModulus11 as isValidCvr } from '../../../src/lib/cvr.ts';
import { buildTestApp } from '../../helper.ts';

t.test('bench-data writes a consistent data set, once', async (t) => {
  const h = await buildTestApp(t);
  const counts = await writeBenchData(h.database, SCALES.small as (typeof SCALES)['small']);
  t.match(counts, { actors: 120, grants: 600, agreements: 60 });
  t.ok(counts.allocations > 0 && counts.payments > 0 && counts.meetings > 0 && counts.needEstimates > 0);
  const one = async (q: ReturnType<typeof sql>) => Number((await h.database.rows<{ n: number }>(q))[0]?.n);
  t.equal(
    await one(sql`select count(*)::int as n from grants g
      where g.status in ('approved','paid','accounted','closed')
        and g.awarded_ore <> (select coalesce(sum(amount_ore), 0) from grant_allocations a where a.grant_id = g.id)`),
    0,
    'every award is split exactly',
  );
  t.equal(
    await one(sql`select count(*)::int as n from grants g
      where (select coalesce(sum(case when kind = 'payment' then amount_ore else -amount_ore end), 0)
             from grant_payments p where p.grant_id = g.id) not between 0 and coalesce(g.awarded_ore, 0)`),
    0,
    'payments within the award',
  );
  t.equal(
    await one(sql`select count(*)::int as n from grants g
      where g.paid_ore <> (select coalesce(sum(case when kind = 'payment' then amount_ore else -amount_ore end), 0)
                           from grant_payments p where p.grant_id = g.id)`),
    0,
    'each grant keeps the sum of its payments',
  );
  t.ok(await one(sql`select count(*)::int as n from grants where paid_ore > 0`), 'some grants are paid');
  t.equal(
    await one(sql`select count(*)::int as n from grants g
      where not exists (select 1 from actors a where a.id = g.actor_id)
         or not exists (select 1 from grant_rounds r where r.id = g.round_id)`),
    0,
    'no grant points nowhere',
  );
  t.equal(
    await one(
      sql`select count(*)::int as n from agreement_actors aa where not exists (select 1 from actors a where a.id = aa.actor_id)`,
    ),
    0,
  );
  const cvrs = await h.database.rows<{ cvr: string }>(sql`select cvr from actors where cvr is not null`);
  t.ok(cvrs.length > 0);
  t.ok(
    cvrs.every((c) => isValidCvr(c.cvr)),
    'CVR numbers pass modulus 11',
  );
  // The integrity triggers agree, now that they are on again: touching an allocation re-checks it.
  const grant = (
    await h.database.rows<{ id: number }>(sql`select id from grants where status = 'approved' limit 1`)
  )[0];
  await t.rejects(
    h.database.db.transaction(async (tx) => {
      await tx.execute(sql`update grant_allocations set amount_ore = amount_ore + 1 where grant_id = ${grant?.id}`);
    }),
    'the deferred trigger still guards the data',
  );
  const report = await h.inject({ method: 'GET', url: '/api/v1/reports/proportionality?scope=national&year=2026' });
  t.equal(report.statusCode, 200);
  t.ok(report.json().totalNeedPeople > 0 && report.json().totalAwardedOre > 0, 'the report has need and money');
  await t.rejects(writeBenchData(h.database, SCALES.small as (typeof SCALES)['small']), /already has actors/);
});
