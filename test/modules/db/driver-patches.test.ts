import { sql } from 'drizzle-orm';
import t from 'tap';
import { openDatabase, type Queryable, rows } from '../../../src/db/client.ts';
import { leavesCachesAlone } from '../../../src/db/driver-patches.ts';
import { StatementScope } from '../../../src/lib/statement-scope.ts';
import { onPostgres, openTestDatabase } from '../../helper.ts';

/** What src/db/driver-patches.ts promises, on the driver in use. */

/** A new object each time: tap writes into the options it is given. */
const postgresOnly = () => ({ skip: !onPostgres && 'postgres.js only: PGlite is not patched to prepare' });

t.test('a transaction counts once as it ends, committed or rolled back', async (t) => {
  const database = await openTestDatabase(t);
  const before = database.generation();
  await database.db.transaction((tx) => tx.execute(sql`select 1`));
  t.equal(database.generation(), before + 1, 'committed');
  await t.rejects(
    database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      throw new Error('rolled back');
    }),
  );
  t.equal(database.generation(), before + 2, 'rolled back');
  await database.rows(sql`select 1`);
  t.equal(database.generation(), before + 2, 'a statement outside a transaction is not one');
});

t.test('a read-only transaction, and one that leaves the caches alone, count nothing', async (t) => {
  const database = await openTestDatabase(t);
  const before = database.generation();
  await database.db.transaction((tx) => tx.execute(sql`select 1`), { accessMode: 'read only' });
  t.equal(database.generation(), before, 'read only');
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    leavesCachesAlone(tx);
  });
  t.equal(database.generation(), before, 'leaves the caches alone');
  await database.db.transaction((tx) => tx.execute(sql`select 1`));
  t.equal(database.generation(), before + 1, 'while another is counted');
});

t.test('a nested transaction is a savepoint in its outer one, and counts nothing of its own', async (t) => {
  const database = await openTestDatabase(t);
  const before = database.generation();
  const kept = await database.db.transaction(async (tx) => {
    await tx.execute(sql`create temporary table sp_probe (x int) on commit drop`);
    await tx.execute(sql`insert into sp_probe values (${1})`);
    await t.rejects(
      tx.transaction(async (sp) => {
        await sp.execute(sql`insert into sp_probe values (${2})`);
        throw new Error('rolled back to the savepoint');
      }),
    );
    await tx.transaction((sp) => sp.execute(sql`insert into sp_probe values (${3})`));
    return rows<{ x: number }>(tx, sql`select x from sp_probe order by x`);
  });
  t.strictSame(kept, [{ x: 1 }, { x: 3 }], 'the inner rollback undid only its own write');
  t.equal(database.generation(), before + 1, 'one transaction counted');
});

/**
 * Whether this very statement is a named prepared statement on its connection: an unnamed one
 * (drizzle's default) is not in pg_prepared_statements, a named one is, from its parse on.
 */
async function preparedItself(db: Queryable, marker: string): Promise<boolean> {
  const [row] = await rows<{ n: number }>(
    db,
    sql`select /* ${sql.raw(marker)} */ count(*)::int as n from pg_prepared_statements where strpos(statement, ${marker}) > 0`,
  );
  return row?.n === 1;
}

t.test(
  'a statement with parameters is prepared by name, on the client, in a transaction and in a savepoint',
  postgresOnly(),
  async (t) => {
    const database = await openTestDatabase(t);
    t.ok(await preparedItself(database.db, 'probe_on_client'), 'on the client');
    t.ok(await database.db.transaction((tx) => preparedItself(tx, 'probe_in_tx')), 'in a transaction');
    t.ok(
      await database.db.transaction((tx) => tx.transaction((sp) => preparedItself(sp, 'probe_in_savepoint'))),
      'in a savepoint',
    );
  },
);

t.test(
  'a statement without parameters is sent unprepared, and may hold several commands',
  postgresOnly(),
  async (t) => {
    const database = await openTestDatabase(t);
    const [row] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from pg_prepared_statements where statement like '%probe_unprepared%'`,
    );
    t.equal(row?.n, 0, 'not prepared');
    await database.rows(sql`create temporary table several (x int); insert into several values (1)`);
    t.pass('two commands in one text');
  },
);

/** The message of the error a piece of work fails with. */
async function failure(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => 'no failure',
    (err: { message?: string; cause?: { message?: string } }) => err.cause?.message ?? err.message ?? String(err),
  );
}

t.test('a statement belongs to the statement scope it starts in, which can cancel it', postgresOnly(), async (t) => {
  const base = await openTestDatabase(t);
  // No statement timeout: only the scope's cancel can end the sleep.
  const database = await openDatabase({ kind: 'postgres', url: base.url as string, statementTimeoutMs: 0 });
  t.teardown(() => database.close());
  const sleeping = async () =>
    (
      await base.rows<{ n: number }>(
        sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
              and query like '%pg_sleep(%scope_probe%'`,
      )
    )[0]?.n ?? 0;
  const sleep = (db: Queryable) => rows(db, sql`select pg_sleep(${20}) /* scope_probe */`);
  for (const [where, work] of [
    ['on the client', () => sleep(database.db)],
    ['in a transaction', () => database.db.transaction((tx) => sleep(tx))],
    ['in a savepoint', () => database.db.transaction((tx) => tx.transaction((sp) => sleep(sp)))],
  ] as const) {
    const scope = new StatementScope();
    const outcome = failure(scope.run(work));
    while ((await sleeping()) === 0) await new Promise((r) => setTimeout(r, 20));
    scope.cancel();
    // On the client the statement fails with 57014; in a transaction the scope cancels the rollback
    // too, and postgres.js gives up the connection.
    t.match(await outcome, /canceling statement due to user request|CONNECTION_CLOSED/, where);
    while ((await sleeping()) > 0) await new Promise((r) => setTimeout(r, 20));
    t.pass(`${where}: the statement has stopped`);
  }
});
