import { rmSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { type Database, openPglite } from '../../src/db/client.ts';
import { actorInput } from '../factories.ts';
import { buildTestApp, onPostgres, openTestDatabase } from '../helper.ts';
import { copyPgliteTemplate } from '../template.ts';

/**
 * On PGlite a test process lends one instance to one test database after another (test/shared-pglite.ts).
 * Each must still start as the template left it: the same rows in every table, every sequence where
 * it was, no session state, no schema change; and what a test leaves running must not reach the next.
 * Compared here with a fresh copy of the template, read by queries of this file's own.
 */
const skip = onPostgres ? 'PGlite only' : false;

/** Every user table's row count and digest, and every sequence's last value. */
async function state(pglite: PGlite): Promise<Record<string, string>> {
  return (await read(pglite)).content;
}

/**
 * Where each table's rows lie (their ctid) and its size: putting back leaves them as they were after
 * the last putting back, so that an unordered query reads the rows in the same order.
 */
async function places(pglite: PGlite): Promise<Record<string, string>> {
  return (await read(pglite)).places;
}

async function read(pglite: PGlite) {
  const tables = (
    await pglite.query<{ q: string }>(
      `select quote_ident(schemaname) || '.' || quote_ident(tablename) as q from pg_tables
        where schemaname not in ('pg_catalog', 'information_schema') order by 1`,
    )
  ).rows.map((r) => r.q);
  const out: Record<string, string> = {};
  const at: Record<string, string> = {};
  for (const q of tables) {
    const [row] = (
      await pglite.query<{ n: number; d: string; at: string; size: string }>(
        `select count(*)::int as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as d,
                md5(coalesce(string_agg(x.ctid::text, ',' order by x.ctid), '')) as at,
                pg_relation_size(${`'${q}'`}) as size
           from ${q} x`,
      )
    ).rows;
    out[q] = `${row?.n} rows ${row?.d}`;
    at[q] = `${row?.at} ${row?.size}`;
  }
  const sequences = (
    await pglite.query<{ q: string; v: string | null }>(
      `select schemaname || '.' || sequencename as q, last_value::text as v from pg_sequences order by 1`,
    )
  ).rows;
  for (const s of sequences) out[`sequence ${s.q}`] = String(s.v);
  return { content: out, places: at };
}

/** When the instance started: the same for a database put back, another for a fresh copy. */
async function started(pglite: PGlite): Promise<string> {
  return (await pglite.query<{ s: string }>('select pg_postmaster_start_time()::text as s')).rows[0]?.s ?? '';
}

let template: Record<string, string> = {};
/** The places of a database put back, once. */
let putBack: Record<string, string> = {};
let firstStarted = '';
let timeout = '';
let before: PGlite | undefined;

t.before(async () => {
  if (skip) return;
  const dir = await copyPgliteTemplate();
  const fresh = await openPglite(dir);
  try {
    template = await state(fresh);
    timeout = (await fresh.query<{ s: string }>(`select current_setting('statement_timeout') as s`)).rows[0]?.s ?? '';
  } finally {
    await fresh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('a test database changed in every way a test can', { skip }, async (t) => {
  const h = await buildTestApp(t);
  const created = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Forening til prøve' }),
  });
  t.equal(created.statusCode, 201, 'an actor is registered through the API');
  const pglite = h.database.pglite as PGlite;
  await pglite.exec(`
    update municipalities set name = name || ' (ændret)' where code = 101;
    select setval('target_groups_id_seq', 5000);
    set statement_timeout = '1234ms';
    create temporary table scratch (x int);
    select pg_advisory_lock(42);
  `);
  const changed = await state(pglite);
  t.not(changed['public.actors'], template['public.actors'], 'it has rows the template has not');
  t.not(changed['public.municipalities'], template['public.municipalities'], 'it changed rows the template has');
  before = pglite;
  firstStarted = await started(pglite);
});

t.test('the next test database is the template again', { skip }, async (t) => {
  const database = await openTestDatabase(t);
  const pglite = database.pglite as PGlite;
  t.equal(await started(pglite), firstStarted, 'the same instance, put back');
  t.same(await state(pglite), template, 'every table and sequence as in a fresh copy of the template');
  putBack = await places(pglite);
  t.equal(
    (await pglite.query<{ s: string }>(`select current_setting('statement_timeout') as s`)).rows[0]?.s,
    timeout,
    'no setting of the last',
  );
  t.equal(
    (await pglite.query<{ r: string | null }>(`select to_regclass('pg_temp.scratch')::text as r`)).rows[0]?.r,
    null,
    'no temporary table of the last',
  );
  t.equal(
    (await pglite.query<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory'`)).rows[0]
      ?.n,
    0,
    'no lock of the last',
  );
  const old = before as PGlite;
  await t.rejects(
    async () => old.query('select 1'),
    /given back/,
    'the last test database refuses what its test left running',
  );
  const [group] = (await pglite.query<{ id: number }>(`select nextval('target_groups_id_seq')::int as id`)).rows;
  t.equal(group?.id, 58, 'a sequence goes on from where the template left it');
});

t.test('rows changed and changed back, and rows written and deleted, are put back in place', { skip }, async (t) => {
  let last = '';
  let drizzleDb: Database['db'] | undefined;
  await t.test('a test changes a template row and changes it back, and fills and empties a table', async (t) => {
    const database = await openTestDatabase(t);
    const pglite = database.pglite as PGlite;
    last = await started(pglite);
    drizzleDb = database.db;
    await pglite.exec(`
      update municipalities set name = name || '!' where code = 101;
      update municipalities set name = rtrim(name, '!') where code = 101;
      insert into applicants (email) values ('a@forening.dk');
      delete from applicants;
      select setval('applicants_id_seq', 1, false);
    `);
    t.same(await state(pglite), template, 'the same rows as the template');
    const moved = await places(pglite);
    t.not(moved['public.municipalities'], putBack['public.municipalities'], 'but a row has moved');
    t.not(moved['public.applicants'], putBack['public.applicants'], 'and a table has grown');
  });
  await t.test('the next finds them where the template has them', async (t) => {
    const pglite = (await openTestDatabase(t)).pglite as PGlite;
    t.equal(await started(pglite), last, 'put back, not copied anew');
    t.same(await state(pglite), template);
    t.same(await places(pglite), putBack, 'every row where the last putting back left it');
    const refused = await (drizzleDb as Database['db']).execute(sql`select 1`).then(
      () => undefined,
      (err: Error) => err,
    );
    t.match(
      String((refused?.cause as Error | undefined)?.message),
      /given back/,
      'the last test’s drizzle handle refuses',
    );
  });
});

t.test('a second test database at once is a copy of its own', { skip }, async (t) => {
  const first = (await openTestDatabase(t)).pglite as PGlite;
  const second = (await openTestDatabase(t)).pglite as PGlite;
  await first.exec(`update municipalities set name = 'Første' where code = 101`);
  t.equal(
    (await second.query<{ name: string }>('select name from municipalities where code = 101')).rows[0]?.name,
    'København',
    'the second does not see the first one’s writes',
  );
});

t.test('a schema change, or a transaction left open, is not lent on', { skip }, async (t) => {
  let last = '';
  await t.test('a test adds a table', async (t) => {
    const pglite = (await openTestDatabase(t)).pglite as PGlite;
    last = await started(pglite);
    await pglite.exec('create table leftover (x int); insert into leftover values (1)');
  });
  await t.test('the next has none', async (t) => {
    const pglite = (await openTestDatabase(t)).pglite as PGlite;
    t.not(await started(pglite), last, 'a fresh copy');
    last = await started(pglite);
    t.equal(
      (await pglite.query<{ r: string | null }>(`select to_regclass('public.leftover')::text as r`)).rows[0]?.r,
      null,
    );
    t.same(await state(pglite), template);
  });
  await t.test('a test leaves a transaction open', async (t) => {
    const pglite = (await openTestDatabase(t)).pglite as PGlite;
    t.equal(await started(pglite), last, 'put back after a test that changed only rows');
    await pglite.exec(`begin; update municipalities set name = 'Midt i' where code = 101`);
    await t.rejects(pglite.query('select 1 / 0'), /division by zero/, 'and fails in it');
    t.ok(pglite.isInTransaction(), 'the transaction is left open, aborted');
  });
  await t.test('the next is in none, with the template’s rows', async (t) => {
    const pglite = (await openTestDatabase(t)).pglite as PGlite;
    t.not(await started(pglite), last, 'a fresh copy');
    t.notOk(pglite.isInTransaction());
    t.same(await state(pglite), template);
  });
  await t.test('a test closes its database', async (t) => {
    const database = await openTestDatabase(t);
    await (database.pglite as PGlite).close();
    t.ok((database.pglite as PGlite).closed);
  });
  await t.test('the next is open, with the template’s rows', async (t) => {
    const pglite = (await openTestDatabase(t)).pglite as PGlite;
    t.notOk(pglite.closed);
    t.same(await state(pglite), template);
  });
});
