import { rmSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../src/db/client.ts';
import { atFileEnd, atProcessEnd } from './shards/shards.ts';
import { copyPgliteTemplate } from './template.ts';

/**
 * One PGlite per test process, lent to one test database at a time and put back as the template
 * left it before it is lent again. Copying the template, starting PGlite on it and closing it cost
 * 0.65–0.87 s of CPU for each test database here (a third of it in the kernel, mostly page faults
 * of PGlite's new memory); putting a used database back costs a few tens of milliseconds.
 *
 * Putting back, when the instance is next borrowed: every table that differs from the template
 * (its rows, where they lie, or its size) is emptied (TRUNCATE, with what references it), the
 * template's rows are copied back into the few tables that had any, and every sequence is set to
 * where the template left it; the session's settings, temporary tables and locks go with DISCARD ALL.
 * A test that changed the schema (tables, columns, types and enum values, functions, triggers,
 * views, sequences' parameters), a setting stored for the database or a role, or added a role, or
 * that closed the instance or left a transaction open, gets a fresh copy next time instead: the
 * catalogue's fingerprint tells.
 *
 * A test database asked for while the instance is lent (two at once in one file) is a copy of its
 * own, as before. A lent instance is reached through a proxy that refuses to be used once given
 * back, so work a test leaves running fails as it did on a closed database. (A transaction object it
 * still holds is not refused; its transaction kept open makes the next borrower a fresh copy.)
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
  union all select format('e %s %s %s', enumtypid, enumlabel, enumsortorder) from pg_enum
  union all select format('y %s %s %s', t.oid, t.typname, t.typtypmod) from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.${OWN_SCHEMAS}
  union all select format('w %s %s', ev_class, md5(ev_action::text)) from pg_rewrite
  union all select format('q %s %s %s %s', seqrelid, seqstart, seqincrement, seqcycle) from pg_sequence
  union all select format('o %s %s %s', c.oid, c.reloptions, a.atttypmod) from pg_class c
    join pg_namespace n on n.oid = c.relnamespace left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
    where n.${OWN_SCHEMAS}
  union all select format('f %s %s', p.oid, p.proconfig) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.${OWN_SCHEMAS}
  union all select format('m %s %s %s %s', mapcfg, maptokentype, mapseqno, mapdict) from pg_ts_config_map
) s`;

let shared: Shared | undefined;
let lent = false;
let closedAtEnd = false;
/** Ends the current loan: at a file's end in a shard, even when a teardown before it failed. */
let endLoan: (() => void) | undefined;
atFileEnd(() => endLoan?.());

async function one<T>(pglite: PGlite, query: string): Promise<T> {
  return (await pglite.query<T>(query)).rows[0] as T;
}

async function open(): Promise<Shared> {
  const dataDir = await copyPgliteTemplate();
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', remove);
  let pglite: PGlite | undefined;
  try {
    pglite = await openPglite(dataDir);
    const tables = (
      await pglite.query<{ q: string; l: string }>(
        `select format('%I.%I', schemaname, tablename) as q, format('%L', format('%I.%I', schemaname, tablename)) as l
           from pg_tables where schemaname not in ${SYSTEM_SCHEMAS} order by 1`,
      )
    ).rows;
    const rows: Shared['rows'] = [];
    for (const { q } of tables) {
      if (!(await one<{ any: boolean }>(pglite, `select exists (select from ${q}) as any`)).any) continue;
      const copied = await pglite.query(`copy ${q} to '/dev/blob'`);
      if (!copied.blob) throw new Error(`COPY ${q} gave no rows`);
      rows.push({ table: q, copy: copied.blob });
    }
    const withRows = new Set(rows.map((r) => r.table));
    // A table's size tells rows written and deleted again; the rows' places (ctid), rows changed and
    // changed back: either could change the order of an unordered query.
    const stateSql = `select ${tables
      .map(({ q, l }, i) =>
        withRows.has(q)
          ? `(select md5(coalesce(string_agg(x.ctid::text || ' ' || x::text, ',' order by x.ctid), '')) from ${q} x) || ' ' || pg_relation_size(${l}) as t${i}`
          : `pg_relation_size(${l})::text as t${i}`,
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
    // The template's rows as putting back leaves them (compact, in COPY's order), once, so that the
    // state compared after putting back is the one putting back makes.
    await pglite.exec(`set session_replication_role = replica; truncate ${tables.map((t) => t.q).join(', ')} cascade`);
    for (const { table, copy } of rows) await pglite.query(`copy ${table} from '/dev/blob'`, [], { blob: copy });
    await pglite.exec(`${sequencesSql}\nreset session_replication_role;`);
    return {
      pglite,
      dataDir,
      remove,
      tables: tables.map((t) => t.q),
      rows,
      stateSql,
      template: await one(pglite, stateSql),
      sequencesSql,
      fingerprint: (await one<{ d: string }>(pglite, FINGERPRINT_SQL)).d,
    };
  } catch (err) {
    await pglite?.close().catch(() => {});
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
      // Its copy is removed all the same; a failure to close it is not the next test's.
      await close(old).catch(() => {});
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
  const giveBack = () => {
    if (back) return;
    back = true;
    lent = false;
    endLoan = undefined;
  };
  endLoan = giveBack;
  return { pglite, giveBack };
}

/** Closes the process's PGlite and removes its copy of the template (at the end of a test process). */
async function closeSharedPglite(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await close(s);
}
