import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, loginForm, onPostgres } from '../../helper.ts';

/**
 * The sign-in limit is counted in the database, and an attempt is counted before its password is
 * checked: however many requests arrive at once, no more than the limit are ever checked in the
 * window, per account and per address.
 */

const PASSWORD = 'en lang og hemmelig adgangskode';

// One app for the file: the limits count per account and per address, and each test signs in to
// accounts of its own from addresses of its own (10.1.*, 192.0.2.50-51, 10.2.0.1), so no test meets
// another's failed attempts.
const h = await buildTestApp(t);

const statuses = (codes: number[]) =>
  codes.reduce<Record<number, number>>((n, c) => {
    n[c] = (n[c] ?? 0) + 1;
    return n;
  }, {});

t.test(
  '30 wrong passwords and then the right one, all at once, for one account: at most 5 are checked',
  { skip: !onPostgres && 'PostgreSQL only: PGlite runs one transaction at a time, so nothing runs in parallel' },
  async (t) => {
    const victim = await h.as('coordinator', 101);
    const login = await loginForm(h.app);
    const checked = async () =>
      Number(
        (
          await h.database.rows<{ n: number }>(
            sql`select count(*)::int as n from audit_log
                where action in ('login_failed', 'login') and entity_id = ${String(victim.user.id)}
                  and after->>'ip' like '10.1.%'`,
          )
        )[0]?.n,
      );

    // Each from its own address, as a spread-out attack would come, and the right password last.
    const sent = Array.from({ length: 30 }, (_, i) =>
      login(victim.user.email, `forkert adgangskode ${i}`, `10.1.0.${i + 1}`),
    );
    sent.push(login(victim.user.email, PASSWORD, '10.1.0.100'));
    const burst = await Promise.all(sent);
    const last = burst.pop();
    const counts = statuses(burst.map((r) => r.statusCode));
    t.comment(`answers to the 30 wrong ones: ${JSON.stringify(counts)}; to the right one: ${last?.statusCode}`);
    const n = await checked();
    t.ok(n <= 5, `${n} of the 31 passwords were checked (at most 5)`);
    t.equal((counts[401] ?? 0) + (counts[429] ?? 0), 30, 'every wrong one is refused');
    if (last?.statusCode === 303) {
      // Only if it came in among the first five attempts, which parallel requests may do.
      t.equal(counts[401], n - 1, 'the right one was among the few checked');
    } else {
      t.equal(last?.statusCode, 429, 'the right password, sent last, is refused: the account is limited');
      t.equal(counts[401], n, 'a 401 for each wrong one checked, 429 for the rest');
      const after = await login(victim.user.email, PASSWORD, '10.1.1.1');
      t.equal(after.statusCode, 429, 'and so it is after the burst');
      t.notOk(String(after.headers['set-cookie'] ?? '').includes('samspil_session='), 'with no session');
    }
  },
);

t.test(
  '30 sign-ins at once from one address, to 30 accounts: at most 20 are checked',
  { skip: !onPostgres && 'PostgreSQL only: PGlite runs one transaction at a time, so nothing runs in parallel' },
  async (t) => {
    const bystander = await h.as('viewer', 101);
    const login = await loginForm(h.app);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(`ukendt${i}@kk.dk`, 'en forkert adgangskode', '192.0.2.50')),
    );
    const counts = statuses(burst.map((r) => r.statusCode));
    t.comment(`answers to the burst: ${JSON.stringify(counts)}`);
    const [row] = await h.database.rows<{ n: number }>(
      sql`select count(*)::int as n from audit_log where action = 'login_failed' and after->>'ip' = '192.0.2.50'`,
    );
    t.ok(Number(row?.n) <= 20, `${row?.n} of 30 were checked (at most 20)`);
    t.equal(counts[401], Number(row?.n), 'a 401 for each one checked, 429 for the rest');
    t.equal(
      (await login(bystander.user.email, PASSWORD, '192.0.2.50')).statusCode,
      429,
      'a real account from that address waits too',
    );
    t.equal((await login(bystander.user.email, PASSWORD, '192.0.2.51')).statusCode, 303, 'from another it signs in');
  },
);

t.test('a successful sign-in does not use up the limit', async (t) => {
  const anne = await h.as('coordinator', 101);
  const login = await loginForm(h.app);
  for (let i = 1; i <= 7; i++) {
    t.equal((await login(anne.user.email, PASSWORD, '10.2.0.1')).statusCode, 303, `sign-in ${i}`);
  }
  for (let i = 1; i <= 4; i++) {
    t.equal((await login(anne.user.email, 'forkert adgangskode', '10.2.0.1')).statusCode, 401, `failure ${i}`);
  }
  t.equal((await login(anne.user.email, PASSWORD, '10.2.0.1')).statusCode, 303, '4 failures and many sign-ins: in');
  t.equal((await login(anne.user.email, 'forkert adgangskode', '10.2.0.1')).statusCode, 401, 'the 5th failure');
  t.equal((await login(anne.user.email, PASSWORD, '10.2.0.1')).statusCode, 429, 'then the limit holds');
});
