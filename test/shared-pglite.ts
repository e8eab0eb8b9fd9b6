import { rmSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../src/db/client.ts';
import { atProcessEnd } from './shards/shards.ts';
import { copyPgliteTemplate } from './template.ts';

/**
 * One PGlite per test process, lent to one test database at a time and put back as the template
 * left it before it is lent again. Copying the template and starting PGlite costs about 0.65 s of
 * CPU for each test database (here: 0.4 s of it starting PGlite, much of that in page faults of its
 * new memory); putting a used database back costs a few tens of milliseconds.
 *
 * Putting back: every table that differs from the template is emptied (TRUNCATE, with what
 * references it), the template's rows are copied back into the few tables that had any, and every
 * sequence is set to where the template left it; the session's settings, temporary tables and locks
 * go with DISCARD ALL. A test that changed the schema, a setting of the database or a role (or
 * closed the instance, or failed inside a transaction) gets a fresh copy next time instead: the
 * catalogue's fingerprint tells.
 *
 * A test database asked for while the instance is lent (two at once in one file) is a copy of its
 * own, as before. A lent instance is reached through a proxy that refuses every use once given
 * back, so work a test leaves running fails as it did on a closed database, and never touches the
 * next test's data.
 */
interface Shared {
  pglite: PGlite;
  dataDir: string;
  remove: () => void;
  /** Every user table, quoted. */
  tables: string[];
  /** The tables the template has rows in, and those rows (COPY's text format). */
  rows: { table: string; copy: Blob }[];
  /** One statement telling each table's state: has rows (or, for the template's, their digest). */
  stateSql: string;
  template: Record<string, unknown>;
  sequencesSql: string;
  fingerprint: string;
}

const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema', 'pg_toast')`;
/** A session's temporary schemas stay when DISCARD ALL has emptied them. */
const OWN_SCHEMAS = `nspname not in ${SYSTEM_SCHEMAS} and nspname not like 'pg\\_temp\\_%' and nspname not like 'pg\\_toast\\_temp\\_%'`;

/** What a test may change that putting the data back would not undo. */
const FINGERPRINT_SQL = `select md5(string_agg(d, '|' order by d)) as d from (
  select format('n %s', nspname) as d from pg_namespace where ${OWN_SCHEMAS}
  union all select format('c %s %s %s %s %s', c.oid, c.relname, c.relkind, c.relnatts, c.relrowsecurity)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.${OWN_SCHEMAS}
  union all select format('a %s %s %s %s %s', a.attrelid, a.attname, a.atttypid, a.attnotnull, a.attisdropped)
    from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.${OWN_SCHEMAS} and a.attnum > 0
  union all select format('d %s %s %s', adrelid, adnum, md5(adbin::text)) from pg_attrdef
  union all select format('t %s %s %s', oid, tgname, tgenabled) from pg_trigger
  union all select format('k %s %s', k.oid, k.conname) from pg_constraint k join pg_namespace n on n.oid = k.connamespace
    where n.nspname not in ${SYSTEM_SCHEMAS}
  union all select format('p %s %s', p.oid, md5(p.prosrc)) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname not in ${SYSTEM_SCHEMAS}
  union all select format('r %s', rolname) from pg_roles
  union all select format('s %s', setconfig) from pg_db_role_setting
  union all select format('x %s %s', extname, extversion) from pg_extension
) s`;

let shared: Shared | undefined;
let lent = false;
let closedAtEnd = false;

async function one<T>(pglite: PGlite, query: string): Promise<T> {
  return (await pglite.query<T>(query)).rows[0] as T;
}

async function open(): Promise<Shared> {
  const dataDir = await copyPgliteTemplate();
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', remove);
  const pglite = await openPglite(dataDir);
  try {
    const tables = (
      await pglite.query<{ q: string }>(
        `select format('%I.%I', schemaname, tablename) as q from pg_tables where schemaname not in ${SYSTEM_SCHEMAS} order by 1`,
      )
    ).rows.map((r) => r.q);
    const rows: Shared['rows'] = [];
    for (const table of tables) {
      if (!(await one<{ any: boolean }>(pglite, `select exists (select from ${table}) as any`)).any) continue;
      const copied = await pglite.query(`copy ${table} to '/dev/blob'`);
      if (!copied.blob) throw new Error(`COPY ${table} gave no rows`);
      rows.push({ table, copy: copied.blob });
    }
    const withRows = new Set(rows.map((r) => r.table));
    const stateSql = `select ${tables
      .map((table, i) =>
        withRows.has(table)
          ? `(select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from ${table} x) as t${i}`
          : `exists (select from ${table}) as t${i}`,
      )
      .join(', ')}`;
    const sequences = (
      await pglite.query<{ q: string; v: string | null }>(
        `select format('%I.%I', schemaname, sequencename) as q, last_value::text as v from pg_sequences`,
      )
    ).rows;
    const sequencesSql = sequences
      .map(({ q, v }) => (v === null ? `alter sequence ${q} restart;` : `select setval('${q}', ${v});`))
      .join('\n');
    return {
      pglite,
      dataDir,
      remove,
      tables,
      rows,
      stateSql,
      template: await one(pglite, stateSql),
      sequencesSql,
      fingerprint: (await one<{ d: string }>(pglite, FINGERPRINT_SQL)).d,
    };
  } catch (err) {
    await pglite.close().catch(() => {});
    remove();
    process.off('exit', remove);
    throw err;
  }
}

async function close(s: Shared): Promise<void> {
  try {
    if (!s.pglite.closed) await s.pglite.close();
  } finally {
    s.remove();
    process.off('exit', s.remove);
  }
}

/** Puts the instance back as the template left it; false when it cannot be (a fresh copy is then due). */
async function putBack(s: Shared): Promise<boolean> {
  const { pglite } = s;
  if (pglite.closed || pglite.isInTransaction()) return false;
  await pglite.exec('discard all');
  if ((await one<{ d: string }>(pglite, FINGERPRINT_SQL)).d !== s.fingerprint) return false;
  const differs = (state: Record<string, unknown>) => s.tables.filter((_, i) => state[`t${i}`] !== s.template[`t${i}`]);
  const changed = differs(await one(pglite, s.stateSql));
  await pglite.exec('set session_replication_role = replica');
  try {
    if (changed.length) await pglite.exec(`truncate ${changed.join(', ')} cascade`);
    // TRUNCATE … CASCADE also empties the tables that reference those named.
    const emptied = new Set(changed.length ? differs(await one(pglite, s.stateSql)) : []);
    for (const { table, copy } of s.rows) {
      if (emptied.has(table)) await pglite.query(`copy ${table} from '/dev/blob'`, [], { blob: copy });
    }
    await pglite.exec(s.sequencesSql);
  } finally {
    await pglite.exec('reset session_replication_role');
  }
  return differs(await one(pglite, s.stateSql)).length === 0;
}

/**
 * The process's PGlite, as the template left it, for one test database; undefined while it is lent.
 * `giveBack` ends the loan: the instance answers nothing through this loan after it.
 */
export async function borrowPglite(): Promise<{ pglite: PGlite; giveBack: () => void } | undefined> {
  if (lent) return undefined;
  lent = true;
  try {
    if (shared && !(await putBack(shared).catch(() => false))) {
      const old = shared;
      shared = undefined;
      await close(old);
    }
    if (!shared) {
      shared = await open();
      if (!closedAtEnd) atProcessEnd(closeSharedPglite);
      closedAtEnd = true;
    }
  } catch (err) {
    lent = false;
    throw err;
  }
  const target = shared.pglite;
  let back = false;
  const pglite = new Proxy(target, {
    get(_, property) {
      if (back) throw new Error('This test database was given back: the test that had it has ended');
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    pglite,
    giveBack: () => {
      if (back) return;
      back = true;
      lent = false;
    },
  };
}

/** Closes the process's PGlite and removes its copy of the template (at the end of a test process). */
async function closeSharedPglite(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await close(s);
}
