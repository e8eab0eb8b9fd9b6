import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database, Queryable } from '../../db/client.ts';
import { noteWrite } from '../../db/driver-patches.ts';
import { intArray, intsOf } from '../../db/params.ts';
import { importChunks, imports } from '../../db/schema/index.ts';
import type { Principal } from '../../lib/principal.ts';

export type ImportMeta = typeof imports.$inferSelect;

export async function insertImport(db: Queryable, values: typeof imports.$inferInsert): Promise<ImportMeta> {
  const [row] = await db.insert(imports).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** An import; with lock, the row stays locked until the transaction ends. */
export async function findImport(
  db: Queryable,
  id: number,
  lock?: 'update' | 'skip locked',
): Promise<ImportMeta | undefined> {
  const q = db.select().from(imports).where(eq(imports.id, id));
  const [row] =
    lock === 'update'
      ? await q.for('update')
      : lock === 'skip locked'
        ? await q.for('update', { skipLocked: true })
        : await q;
  return row;
}

export async function updateImport(
  db: Queryable,
  id: number,
  values: Partial<typeof imports.$inferInsert>,
  version?: number,
): Promise<ImportMeta | undefined> {
  const [row] = await db
    .update(imports)
    .set({ ...values, version: sql`${imports.version} + 1`, updatedAt: sql`now()` })
    .where(version === undefined ? eq(imports.id, id) : and(eq(imports.id, id), eq(imports.version, version)))
    .returning();
  return row;
}

/** An import written: done, as of the database's clock. */
export async function markImportDone(
  db: Queryable,
  id: number,
  values: Pick<typeof imports.$inferInsert, 'sample' | 'summary' | 'createdCount' | 'updatedCount' | 'skippedCount'>,
): Promise<void> {
  await db
    .update(imports)
    .set({
      ...values,
      status: 'done',
      finishedAt: sql`now()`,
      version: sql`${imports.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(imports.id, id));
}

/**
 * Bytes of the file per row of import_chunks. A bytea travels as hex text, and postgres.js joins a
 * row's network pieces into one buffer as they arrive, so a row's cost in short-lived buffers grows
 * with the square of its size: at 1 MB a row, storing and reading back a file left 50 to 70 MB of
 * them at once.
 */
const CHUNK = 256 * 1024;
/** Rows of import_chunks read back per statement. */
const CHUNKS_PER_READ = 4;

/** Stores the file at path as the import's, a piece per statement. */
export async function storeImportFile(db: Queryable, id: number, path: string): Promise<void> {
  let seq = 0;
  for await (const piece of createReadStream(path, { highWaterMark: CHUNK })) {
    await db.insert(importChunks).values({ importId: id, seq: seq++, data: piece as Buffer });
  }
}

/**
 * Writes the import's stored file to path, a few pieces at a time; false when it has none. A write
 * that fails (a full disk) rejects, and the part written is removed.
 */
export async function writeImportFile(db: Queryable, id: number, path: string): Promise<boolean> {
  let any = false;
  async function* pieces() {
    let next = 0;
    for (;;) {
      const rows = await db
        .select({ seq: importChunks.seq, data: importChunks.data })
        .from(importChunks)
        .where(and(eq(importChunks.importId, id), sql`${importChunks.seq} >= ${next}`))
        .orderBy(importChunks.seq)
        .limit(CHUNKS_PER_READ);
      for (const p of rows) {
        any = true;
        yield p.data;
      }
      if (rows.length < CHUNKS_PER_READ) return;
      next = (rows.at(-1)?.seq ?? 0) + 1;
    }
  }
  try {
    // The stream's errors reject here, whenever they come (also while a query is awaited).
    await pipeline(pieces, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return any;
}

/** The file is not kept once the import is done. */
export async function dropImportFile(db: Queryable, id: number): Promise<void> {
  await db.delete(importChunks).where(eq(importChunks.importId, id));
}

/** A queued import that failed: only while it is still queued (a retry or a finished run wins). */
export async function failImport(db: Queryable, id: number, problems: unknown[]): Promise<void> {
  await db
    .update(imports)
    .set({ status: 'failed', problems, version: sql`${imports.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(imports.id, id), eq(imports.status, 'queued')));
}

export async function listImports(db: Queryable, municipalityCode: number, limit = 50): Promise<ImportMeta[]> {
  return db
    .select()
    .from(imports)
    .where(eq(imports.municipalityCode, municipalityCode))
    .orderBy(desc(imports.createdAt), desc(imports.id))
    .limit(limit);
}

export async function queuedImportIds(db: Queryable): Promise<number[]> {
  const rows = await db
    .select({ id: imports.id })
    .from(imports)
    .where(eq(imports.status, 'queued'))
    .orderBy(imports.id);
  return rows.map((r) => r.id);
}

/* Look-ups for matching the rows of a file against what is registered. */

/** The FFB groups and the municipality's own sub-groups. */
export async function targetGroupsOf(database: Database, on: Queryable, municipalityCode: number) {
  return database.rows<{ id: number; ffb_code: string | null; name_da: string; name_en: string | null }>(
    sql`select id, ffb_code, name_da, name_en from target_groups
        where municipality_code is null or municipality_code = ${municipalityCode} order by level, id`,
    on,
  );
}

export interface RoundRef {
  id: number;
  year: number;
  name: string;
  budgetOre: number;
  reportDueOn: string | null;
}

export async function roundsOf(database: Database, on: Queryable, municipalityCode: number): Promise<RoundRef[]> {
  const rows = await database.rows<{
    id: number;
    year: number;
    name: string;
    budget_ore: number;
    report_due_on: string | null;
  }>(
    sql`select id, year, name, budget_ore, report_due_on::text from grant_rounds
        where municipality_code = ${municipalityCode}`,
    on,
  );
  return rows.map((r) => ({
    id: r.id,
    year: Number(r.year),
    name: r.name,
    budgetOre: Number(r.budget_ore),
    reportDueOn: r.report_due_on,
  }));
}

/** A new round of an import: its budget is what the file awards in it. */
export async function insertImportedRound(
  database: Database,
  tx: Queryable,
  round: { municipalityCode: number; year: number; name: string; budgetOre: number; status: 'decided' | 'open' },
): Promise<number> {
  const [created] = await database.rows<{ id: number }>(
    sql`insert into grant_rounds (municipality_code, year, name, budget_ore, status)
        values (${round.municipalityCode}, ${round.year}, ${round.name}, ${round.budgetOre}, ${round.status})
        returning id`,
    tx,
  );
  return Number(created?.id);
}

export interface ActorRef {
  id: number;
  name: string;
  cvr: string | null;
}

/**
 * Registered actors by CVR, following merges to the actor that remains. Returns cvr → actor.
 */
export async function actorsByCvr(database: Database, on: Queryable, cvrs: string[]): Promise<Map<string, ActorRef>> {
  if (!cvrs.length) return new Map();
  const rows = await database.rows<{ cvr: string; id: number; name: string; actor_cvr: string | null }>(
    sql`select a.cvr, s.id, s.name, s.cvr as actor_cvr
        from actors a
        join actors s on s.id = coalesce(a.merged_into_id, a.id)
        where a.cvr = any(${`{${cvrs.filter((c) => /^\d{8}$/.test(c)).join(',')}}`}::bpchar[])`,
    on,
  );
  return new Map(rows.map((r) => [r.cvr, { id: r.id, name: r.name, cvr: r.actor_cvr }]));
}

/** Rows of (given name, actor) as given name → actors, in their order. */
function byGiven(rows: { given: string; id: number; name: string; cvr: string | null }[]): Map<string, ActorRef[]> {
  const found = new Map<string, ActorRef[]>();
  for (const r of rows) found.set(r.given, [...(found.get(r.given) ?? []), { id: r.id, name: r.name, cvr: r.cvr }]);
  return found;
}

/** Registered actors whose folded name equals a given name's: name → the actors (not merged away). */
export async function actorsByName(
  database: Database,
  on: Queryable,
  names: string[],
): Promise<Map<string, ActorRef[]>> {
  if (!names.length) return new Map();
  const rows = await database.rows<{ given: string; id: number; name: string; cvr: string | null }>(
    sql`select x.given, a.id, a.name, a.cvr
        from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) as x(given)
        join actors a on a.name_norm = samspil_norm(x.given) and a.merged_into_id is null
        order by a.id`,
    on,
  );
  return byGiven(rows);
}

/** Names looked up by similarity per statement: each statement's work is bounded. */
const SIMILAR_BATCH = 200;

/**
 * Up to three trigram-similar actors for each name, best first (the rule of the actor form), a
 * batch of names per statement, each through the trigram index.
 */
export async function similarActors(
  database: Database,
  on: Queryable,
  names: string[],
): Promise<Map<string, ActorRef[]>> {
  const found = new Map<string, ActorRef[]>();
  for (let i = 0; i < names.length; i += SIMILAR_BATCH) {
    for (const [k, v] of await similarBatch(database, on, names.slice(i, i + SIMILAR_BATCH))) found.set(k, v);
  }
  return found;
}

async function similarBatch(database: Database, on: Queryable, names: string[]): Promise<Map<string, ActorRef[]>> {
  const rows = await database.rows<{ given: string; id: number; name: string; cvr: string | null }>(
    sql`select x.given, s.id, s.name, s.cvr
        from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) as x(given)
        cross join lateral (
          select a.id, a.name, a.cvr from actors a
          where a.merged_into_id is null and a.status <> 'archived'
            and a.name_norm % samspil_norm(x.given)
            and (similarity(a.name_norm, samspil_norm(x.given)) >= 0.45
                 or word_similarity(samspil_norm(x.given), a.name_norm) >= 0.8)
          order by similarity(a.name_norm, samspil_norm(x.given)) desc, a.id
          limit 3
        ) s`,
    on,
  );
  return byGiven(rows);
}

export interface ExistingGrant {
  id: number;
  roundId: number;
  actorId: number;
  title: string;
  purpose: string | null;
  externalRef: string | null;
  requestedOre: number;
  awardedOre: number | null;
  decisionOn: string | null;
  status: string;
  /** The target groups the award is allocated to (several when it is split). */
  groupIds: number[];
  version: number;
}

/**
 * The registered grants some rows of a file may be: by case number in a round, or of an actor in a
 * round, leaving out the grants of the ids in the ranges given (those the import itself registered:
 * a file is matched against what was registered before it).
 */
export async function grantsMatching(
  database: Database,
  on: Queryable,
  refs: { round_id: number; ref: string }[],
  keys: { round_id: number; actor_id: number }[],
  leaveOut: [number, number][] = [],
): Promise<ExistingGrant[]> {
  if (!refs.length && !keys.length) return [];
  const rows = await database.rows<Record<string, unknown>>(
    sql`select g.id, g.round_id, g.actor_id, g.title, g.purpose, g.external_ref, g.requested_ore, g.awarded_ore,
               g.decision_on::text, g.status, g.version,
               array(select a.target_group_id from grant_allocations a where a.grant_id = g.id
                     order by a.target_group_id)::text as group_ids
        from grants g
        where g.id in (
            select m.id from jsonb_to_recordset(${JSON.stringify(refs)}::jsonb) as x(round_id int, ref text)
            join grants m on m.round_id = x.round_id and m.external_ref = x.ref
            union
            select m.id from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as x(round_id int, actor_id int)
            join grants m on m.round_id = x.round_id and m.actor_id = x.actor_id)
          and not exists (select from jsonb_array_elements(${JSON.stringify(leaveOut)}::jsonb) as r(ids)
                          where g.id between (r.ids->>0)::int and (r.ids->>1)::int)`,
    on,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    roundId: Number(r.round_id),
    actorId: Number(r.actor_id),
    title: String(r.title),
    purpose: (r.purpose as string | null) ?? null,
    externalRef: (r.external_ref as string | null) ?? null,
    requestedOre: Number(r.requested_ore),
    awardedOre: r.awarded_ore === null ? null : Number(r.awarded_ore),
    decisionOn: (r.decision_on as string | null) ?? null,
    status: String(r.status),
    groupIds: intsOf(r.group_ids),
    version: Number(r.version),
  }));
}

/* Writing an import set-wise: each statement takes a slice of records as one JSON parameter. */

/** New actors, from records {id, name, cvr, org_type, roles ("{a,b}"), email, …, home}. */
export async function insertActorRecords(tx: Queryable, json: string): Promise<void> {
  await tx.execute(sql`insert into actors (id, name, cvr, org_type, roles, email, phone, website, address, description,
                     home_municipality_code)
      select x.id, x.name, x.cvr, x.org_type::org_type, x.roles::actor_role[], x.email, x.phone, x.website,
             x.address, x.description, x.home
      from jsonb_to_recordset(${json}::jsonb) as x(id int, name text, cvr text, org_type text, roles text,
             email text, phone text, website text, address text, description text, home smallint)`);
}

/**
 * New grants and the allocation of each award to its one group, from records {id, round_id,
 * actor_id, title, purpose, requested, awarded, decision_on, status, due, ref, group, over}; over
 * marks an award beyond its round's budget (finance's override).
 */
export async function insertGrantRecords(tx: Queryable, json: string): Promise<void> {
  await tx.execute(sql`insert into grants (id, round_id, actor_id, title, purpose, requested_ore, awarded_ore,
                          decision_on, status, report_due_on, external_ref, budget_override)
      select x.id, x.round_id, x.actor_id, x.title, x.purpose, x.requested, x.awarded, x.decision_on,
             x.status::grant_status, x.due, x.ref, x.over
      from jsonb_to_recordset(${json}::jsonb) as x(id int, round_id int, actor_id int, title text, purpose text,
             requested bigint, awarded bigint, decision_on date, status text, due date, ref text, over boolean)`);
  await tx.execute(sql`insert into grant_allocations (grant_id, target_group_id, amount_ore)
      select x.id, x.group, x.awarded
      from jsonb_to_recordset(${json}::jsonb) as x(id int, "group" int, awarded bigint)
      where x.group is not null and x.awarded > 0`);
}

/** What the audit trail keeps of a row an import registered: the row as it is now. */
const AUDITED = {
  actors: { entity: 'actor', after: sql`to_jsonb(t) - 'search_vector' - 'name_norm'`, action: sql`'import'` },
  // An award beyond the budget is audited as the grant form audits its override.
  grants: {
    entity: 'grant',
    after: sql`to_jsonb(t) - 'created_at' - 'updated_at'`,
    action: sql`case when t.budget_override then 'approve_over_budget' else 'import' end`,
  },
} as const;

/** One audit entry per row an import registered, set-wise. */
export async function auditImportedRows(
  tx: Queryable,
  principal: Principal,
  table: keyof typeof AUDITED,
  ids: number[],
): Promise<void> {
  const { entity, after, action } = AUDITED[table];
  noteWrite(principal.municipalityCode, entity, 'import');
  await tx.execute(sql`insert into audit_log (user_id, municipality_code, entity, entity_id, action, after)
      select ${principal.userId}, ${principal.municipalityCode}, ${entity}, t.id::text, ${action}, ${after}
      from ${sql.identifier(table)} t
      where t.id = any(${intArray(ids)}::int[])`);
}

/**
 * Registered grants as a file leaves them, from records {id, version, actor_id, title, purpose,
 * requested, awarded, decision_on, status, ref, over}: only those still at the version read and not
 * paid out or closed meanwhile. Returns how many were written.
 */
export async function updateGrantRecords(database: Database, tx: Queryable, json: string): Promise<number> {
  const written = await database.rows<{ id: number }>(
    sql`update grants g set actor_id = x.actor_id, title = x.title, purpose = x.purpose,
           requested_ore = x.requested, awarded_ore = x.awarded, decision_on = x.decision_on,
           status = x.status::grant_status, external_ref = coalesce(x.ref, g.external_ref),
           budget_override = g.budget_override or x.over, version = g.version + 1, updated_at = now()
        from jsonb_to_recordset(${json}::jsonb) as x(id int, version int, actor_id int, title text,
           purpose text, requested bigint, awarded bigint, decision_on date, status text, ref text, over boolean)
        where g.id = x.id and g.version = x.version
          and g.status not in ('paid', 'accounted', 'closed', 'withdrawn')
        returning g.id`,
    tx,
  );
  return written.length;
}

/** The audit entries of the grants a file changed: each one's before, and what the file set. */
export async function auditGrantUpdates(
  tx: Queryable,
  principal: Principal,
  importId: number,
  json: string,
): Promise<void> {
  noteWrite(principal.municipalityCode, 'grant', 'import');
  await tx.execute(sql`insert into audit_log (user_id, municipality_code, entity, entity_id, action, before, after)
      select ${principal.userId}, ${principal.municipalityCode}, 'grant', x.id::text,
             case when x.over then 'approve_over_budget' else 'import' end, x.before,
             jsonb_build_object('actorId', x.actor_id, 'title', x.title, 'purpose', x.purpose,
               'requestedOre', x.requested, 'awardedOre', x.awarded, 'decisionOn', x.decision_on,
               'status', x.status, 'targetGroupId', case when x.reallocate then x.group end, 'importId', ${importId}::int)
               || case when x.over then '{"budgetOverride": true}'::jsonb else '{}'::jsonb end
      from jsonb_to_recordset(${json}::jsonb) as x(id int, actor_id int, title text, purpose text, requested bigint,
             awarded bigint, decision_on date, status text, "group" int, reallocate boolean, before jsonb,
             over boolean)`);
}

/** A changed award of a grant a file changed goes whole to the record's group (none when nothing is awarded). */
export async function reallocateGrantRecords(tx: Queryable, json: string): Promise<void> {
  await tx.execute(sql`delete from grant_allocations
      where grant_id in (select x.id from jsonb_to_recordset(${json}::jsonb) as x(id int, reallocate boolean)
                         where x.reallocate)`);
  await tx.execute(sql`insert into grant_allocations (grant_id, target_group_id, amount_ore)
      select x.id, x.group, x.awarded
      from jsonb_to_recordset(${json}::jsonb) as x(id int, "group" int, awarded bigint, reallocate boolean)
      where x.reallocate and x.group is not null and x.awarded > 0`);
}

/** The fields of a registered actor an actor list may fill in, and each one's column. */
export const IMPORTED_ACTOR_COLUMNS = {
  orgType: 'org_type',
  roles: 'roles',
  email: 'email',
  phone: 'phone',
  website: 'website',
  address: 'address',
  description: 'description',
} as const;

/** Registered actors as an actor list is compared with them: id → the columns it may fill in, home and version. */
export async function actorsToCompare(
  database: Database,
  on: Queryable,
  ids: number[],
): Promise<Map<number, Record<string, unknown>>> {
  const rows = await database.rows<Record<string, unknown>>(
    sql`select id, cvr, org_type, roles::text[] as roles, email, phone, website, address, description,
               home_municipality_code, version
        from actors where id = any(${intArray(ids)}::int[])`,
    on,
  );
  return new Map(rows.map((r) => [Number(r.id), r]));
}

/**
 * A registered actor as an actor list leaves it (set: field → value, cvr included), only while it
 * is still at the version read and homed in the import's municipality. False when it was not written.
 */
export async function updateImportedActor(
  database: Database,
  tx: Queryable,
  a: { actorId: number; version: number; municipalityCode: number; set: Record<string, unknown> },
): Promise<boolean> {
  const columns: Record<string, string> = { ...IMPORTED_ACTOR_COLUMNS, cvr: 'cvr' };
  const set = Object.entries(a.set).map(([k, v]) =>
    k === 'roles'
      ? sql`roles = ${`{${(v as string[]).join(',')}}`}::actor_role[]`
      : k === 'orgType'
        ? sql`org_type = ${v}::org_type`
        : sql`${sql.identifier(columns[k] as string)} = ${v}`,
  );
  const written = await database.rows<{ id: number }>(
    sql`update actors set ${sql.join(set, sql`, `)}, version = version + 1, updated_at = now()
        where id = ${a.actorId} and version = ${a.version} and home_municipality_code = ${a.municipalityCode}
        returning id`,
    tx,
  );
  return written.length > 0;
}

/** Fresh ids from a serial's sequence, so rows and their children can be written set-wise. */
export async function nextIds(database: Database, on: Queryable, sequence: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  const rows = await database.rows<{ id: number }>(
    sql`select nextval(${sequence}::regclass)::int as id from generate_series(1, ${n})`,
    on,
  );
  return rows.map((r) => Number(r.id));
}

/**
 * Runs statements once per slice of the items, the slice passed as one JSON parameter (each item
 * made into its record by toRecord, a slice at a time, so the records are never all in memory).
 */
export async function inSlices<T>(
  items: T[],
  size: number,
  run: (json: string, slice: T[]) => Promise<unknown>,
  toRecord: (item: T, index: number) => unknown = (item) => item,
) {
  for (let i = 0; i < items.length; i += size) {
    const slice = items.slice(i, i + size);
    await run(JSON.stringify(slice.map((item, j) => toRecord(item, i + j))), slice);
  }
}

/**
 * A large file is written in one transaction: its statements may take longer than a page's, and the
 * work between two of them may pause longer than a page's transaction may stand idle.
 */
export async function allowLongStatements(tx: Queryable): Promise<void> {
  await tx.execute(sql`set local statement_timeout = '10min'`);
  await tx.execute(sql`set local idle_in_transaction_session_timeout = '10min'`);
}

/** One import of a municipality is written at a time: held until the transaction ends. */
export async function lockMunicipalityImports(tx: Queryable, lock: number, municipalityCode: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${lock}, ${municipalityCode}::int)`);
}
