import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { buildApp } from '../../../src/app.ts';
import { type DatabaseConfig, loadConfig } from '../../../src/config.ts';
import { type Database, openDatabase } from '../../../src/db/client.ts';
import { onPostgres, openTestDatabase, signedInClient, testConfig } from '../../helper.ts';

/**
 * Every statement on PostgreSQL is bounded by STATEMENT_TIMEOUT_MS, a transaction left idle by
 * IDLE_IN_TRANSACTION_TIMEOUT_MS, and a request's statements are cancelled when its client goes
 * away. PGlite runs each statement to its end (its timers do not fire inside a statement), so
 * these run on PostgreSQL only.
 */

/** A new object each time: tap writes into the options it is given. */
const postgresOnly = () => ({ skip: !onPostgres && 'PostgreSQL only: PGlite cannot interrupt a statement' });

/** The SQLSTATE of an error, the driver's own or the one drizzle wraps. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return e?.cause?.code ?? e?.code;
}

/** The SQLSTATE a piece of work fails with (undefined if it succeeds). */
async function failureCode(work: Promise<unknown>): Promise<string | undefined> {
  return work.then(() => undefined, codeOf);
}

/** A second connection pool on the test's database, with these timeouts. */
async function openBounded(t: Test, timeouts: { statementTimeoutMs?: number; idleInTransactionTimeoutMs?: number }) {
  const base = await openTestDatabase(t);
  const bounded = await openDatabase({ kind: 'postgres', url: base.url as string, ...timeouts });
  t.teardown(() => bounded.close());
  return { base, bounded };
}

/** The app on a database, with a signed-in admin and a route that sleeps in PostgreSQL. */
async function sleepingApp(t: Test, database: Database) {
  const app = await buildApp(testConfig(), { database, logger: false });
  t.teardown(() => app.close());
  const outcomes: Promise<unknown>[] = [];
  app.get('/api/ops-test/sleep', async () => {
    const sleeping = database.rows(sql`select pg_sleep(600) as slept`);
    outcomes.push(sleeping.catch((e) => e));
    return sleeping;
  });
  const admin = await signedInClient(app, 'admin', 101);
  return { app, admin, outcomes };
}

t.test('config: the timeouts come from the environment, with defaults', async (t) => {
  const url = 'postgres://samspil@db.example/samspil';
  const defaults = loadConfig({ DATABASE_URL: url }).database as Extract<DatabaseConfig, { kind: 'postgres' }>;
  t.equal(defaults.statementTimeoutMs, 15_000);
  t.equal(defaults.idleInTransactionTimeoutMs, 60_000);
  const set = loadConfig({
    DATABASE_URL: url,
    STATEMENT_TIMEOUT_MS: '250',
    IDLE_IN_TRANSACTION_TIMEOUT_MS: '0',
  }).database as Extract<DatabaseConfig, { kind: 'postgres' }>;
  t.equal(set.statementTimeoutMs, 250);
  t.equal(set.idleInTransactionTimeoutMs, 0, '0 is no limit');
  t.throws(() => loadConfig({ STATEMENT_TIMEOUT_MS: '-1' }), /STATEMENT_TIMEOUT_MS/);
  t.throws(() => loadConfig({ IDLE_IN_TRANSACTION_TIMEOUT_MS: 'soon' }), /IDLE_IN_TRANSACTION_TIMEOUT_MS/);
  t.equal(defaults.poolMax, 6, 'six connections unless DATABASE_POOL_MAX says otherwise');
  const pool = (v: string) =>
    (loadConfig({ DATABASE_URL: url, DATABASE_POOL_MAX: v }).database as Extract<DatabaseConfig, { kind: 'postgres' }>)
      .poolMax;
  t.equal(pool('12'), 12);
  t.throws(() => pool('1'), /DATABASE_POOL_MAX/, 'one connection could not serve a request while a transaction waits');
  t.throws(() => pool('many'), /DATABASE_POOL_MAX/);
});

t.test(
  'the pool opens at most DATABASE_POOL_MAX connections, and the rest wait their turn',
  postgresOnly(),
  async (t) => {
    const base = await openTestDatabase(t);
    const pool = await openDatabase({ kind: 'postgres', url: base.url as string, poolMax: 2 });
    t.teardown(() => pool.close());
    const backends = await Promise.all(
      Array.from({ length: 8 }, () =>
        pool.rows<{ pid: number }>(sql`select pg_backend_pid() as pid from pg_sleep(0.02)`).then((r) => r[0]?.pid),
      ),
    );
    t.equal(backends.length, 8, 'all eight answered');
    t.equal(new Set(backends).size, 2, 'by two backends');
  },
);

t.test('a statement longer than STATEMENT_TIMEOUT_MS is cancelled', postgresOnly(), async (t) => {
  const { base, bounded } = await openBounded(t, { statementTimeoutMs: 200, idleInTransactionTimeoutMs: 400 });
  const [settings] = await bounded.rows<{ statement: string; idle: string }>(
    sql`select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`,
  );
  t.same(settings, { statement: '200ms', idle: '400ms' }, 'set on every connection');
  const [defaults] = await base.rows<{ statement: string; idle: string }>(
    sql`select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`,
  );
  t.same(defaults, { statement: '15s', idle: '1min' }, 'the defaults when none is given');

  t.equal(await failureCode(bounded.rows(sql`select pg_sleep(600)`)), '57014', 'query_canceled');
  t.equal(
    await failureCode(bounded.db.transaction(async (tx) => tx.execute(sql`select pg_sleep(600)`))),
    '57014',
    'in a transaction too',
  );
  // An import raises the limit for its own transaction.
  const raised = await bounded.db.transaction(async (tx) => {
    await tx.execute(sql`set local statement_timeout = '10min'`);
    return bounded.rows<{ s: string }>(sql`select current_setting('statement_timeout') as s`, tx);
  });
  t.same(raised, [{ s: '10min' }], 'set local overrides it inside a transaction');
  t.same(await bounded.rows(sql`select current_setting('statement_timeout') as s`), [{ s: '200ms' }], 'and only there');

  // A transaction left idle longer than the limit loses its session.
  const idle = bounded.db.transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    await new Promise((r) => setTimeout(r, 2_000));
    await tx.execute(sql`select 1`);
  });
  await t.rejects(idle, 'an idle transaction is ended');
  t.same(await bounded.rows(sql`select 1 as one`), [{ one: 1 }], 'and the pool goes on with a new connection');
});

t.test('a request whose statement runs too long answers 503 QUERY_TIMEOUT', postgresOnly(), async (t) => {
  const { bounded } = await openBounded(t, { statementTimeoutMs: 200 });
  const { admin } = await sleepingApp(t, bounded);
  const res = await admin.inject({ method: 'GET', url: '/api/ops-test/sleep' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { code: 'QUERY_TIMEOUT', message: /tog for lang tid/ });
});

t.test("a request's statement is cancelled when its client goes away", postgresOnly(), async (t) => {
  // No statement timeout: only the cancellation can end the sleep.
  const { base, bounded } = await openBounded(t, { statementTimeoutMs: 0 });
  const { app, admin, outcomes } = await sleepingApp(t, bounded);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const sleeping = async () =>
    Number(
      (
        await base.rows<{ n: number }>(
          sql`select count(*)::int as n from pg_stat_activity
              where datname = current_database() and state = 'active' and query like 'select pg_sleep(600)%'`,
        )
      )[0]?.n,
    );

  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path: '/api/ops-test/sleep',
    headers: { authorization: `Bearer ${admin.token}` },
  });
  req.on('error', () => {});
  req.end();
  while ((await sleeping()) === 0) await new Promise((r) => setTimeout(r, 50));
  t.pass('the statement runs');
  req.destroy();
  while ((await sleeping()) > 0) await new Promise((r) => setTimeout(r, 50));
  t.pass('and stops when the client has gone');
  t.equal(codeOf(await outcomes[0]), '57014', 'cancelled, not finished');
});
