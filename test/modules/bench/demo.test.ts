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
