import { sql } from 'drizzle-orm';
import t from 'tap';
import { DEMO_PASSWORD, DEMO_USERS, ensureDemoData } from '../../../src/demo.ts';
import { buildTestApp } from '../../helper.ts';

t.test('the demo data: seeded once, a login per role, a visibly underserved group', async (t) => {
  const h = await buildTestApp(t, { users: false });
  t.equal(await ensureDemoData(h.app), true, 'seeded');
  const counts = async () =>
    (
      await h.database.rows<Record<string, number>>(
        sql`select (select count(*)::int from actors) as actors, (select count(*)::int from grants) as grants,
          (select count(*)::int from agreements) as agreements, (select count(*)::int from users) as users`,
      )
    )[0];
  const first = await counts();
  t.equal(await ensureDemoData(h.app), false, 'a second start finds the data');
  t.same(await counts(), first, 'and adds nothing');
  t.same(
    new Set(DEMO_USERS.map((u) => u.role)),
    new Set(['admin', 'coordinator', 'finance', 'viewer']),
    'one login per role',
  );
  for (const u of DEMO_USERS) {
    const signedIn = await h.app.services.accounts.login(u.email, DEMO_PASSWORD, '127.0.0.1');
    t.ok(signedIn.token, `${u.role} can sign in`);
  }
  const year = new Date().getFullYear();
  const finance = await h.as('finance', 101);
  const report = (
    await finance.inject({ method: 'GET', url: `/api/v1/reports/proportionality?municipalityCode=101&year=${year}` })
  ).json();
  const heavy = report.rows.find((r: { nameDa: string }) => r.nameDa === 'Meget belastede stofmisbrugere');
  t.equal(heavy?.flag, 'underserved', 'heavy drug users are underserved');
  t.ok(heavy.index < 0.2);
  t.ok(Number(first?.actors) >= 10 && Number(first?.grants) >= 10 && Number(first?.agreements) >= 2);
  const home = await (await h.as('coordinator', 101)).inject({ method: 'GET', url: '/' });
  t.equal(home.statusCode, 200);
});

t.test('the demo data looks like real data: decided rounds, fitting legal forms, named people', async (t) => {
  const h = await buildTestApp(t, { users: false });
  await ensureDemoData(h.app);
  const rounds = await h.database.rows<{ name: string; status: string; grants: number }>(
    sql`select r.name, r.status, count(g.id)::int as grants from grant_rounds r
        left join grants g on g.round_id = r.id and g.status <> 'applied' group by r.id order by r.year`,
  );
  t.ok(rounds.length >= 2);
  for (const r of rounds) {
    if (r.grants > 0) t.equal(r.status, 'decided', `${r.name}: a round with awards is decided, not planned`);
  }
  const [knitting] = await h.database.rows<{ org_type: string }>(
    sql`select org_type from actors where name = 'Strikkeklubben i Sydhavnen'`,
  );
  t.equal(knitting?.org_type, 'informal_group', 'a knitting club is an informal group, not an institution');
  const placeholders = await h.database.rows<{ name: string }>(
    sql`select name from users where name ~ '^Admin [0-9]+$'
        union all select name from actor_contacts where name in ('Kontaktperson', 'Contact')`,
  );
  t.same(placeholders, [], 'no user or contact person is named like a placeholder');
});
