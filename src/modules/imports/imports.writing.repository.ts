import { sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { noteWrite } from '../../db/driver-patches.ts';
import { intArray } from '../../db/params.ts';
import { nextVersionNowSql } from '../../db/versions.ts';
import type { Principal } from '../../lib/principal.ts';
import { IMPORTED_ACTOR_COLUMNS } from './imports.matching.repository.ts';

/* Writing an import set-wise: each statement takes a slice of records as one JSON parameter. */

/** A new round of an import: its budget is what the file awards in it. */
export async function insertImportedRound(
  tx: Queryable,
  round: { municipalityCode: number; year: number; name: string; budgetOre: number; status: 'decided' | 'open' },
): Promise<number> {
  const [created] = await rows<{ id: number }>(
    tx,
    sql`insert into grant_rounds (municipality_code, year, name, budget_ore, status)
        values (${round.municipalityCode}, ${round.year}, ${round.name}, ${round.budgetOre}, ${round.status})
        returning id`,
  );
  if (!created) throw new Error('insert returned no row');
  return created.id;
}

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
    // As the grant form's records: without the folded text and the sum paid kept from the payments.
    after: sql`to_jsonb(t) - 'created_at' - 'updated_at' - 'text_norm' - 'paid_ore'`,
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
export async function updateGrantRecords(tx: Queryable, json: string): Promise<number> {
  const written = await rows<{ id: number }>(
    tx,
    sql`update grants g set actor_id = x.actor_id, title = x.title, purpose = x.purpose,
           requested_ore = x.requested, awarded_ore = x.awarded, decision_on = x.decision_on,
           status = x.status::grant_status, external_ref = coalesce(x.ref, g.external_ref),
           budget_override = g.budget_override or x.over, ${nextVersionNowSql('g')}
        from jsonb_to_recordset(${json}::jsonb) as x(id int, version int, actor_id int, title text,
           purpose text, requested bigint, awarded bigint, decision_on date, status text, ref text, over boolean)
        where g.id = x.id and g.version = x.version
          and g.status not in ('paid', 'accounted', 'closed', 'withdrawn')
        returning g.id`,
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

/**
 * A registered actor as an actor list leaves it (set: field → value, cvr included), only while it
 * is still at the version read and homed in the import's municipality. False when it was not written.
 */
export async function updateImportedActor(
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
  const written = await rows<{ id: number }>(
    tx,
    sql`update actors set ${sql.join(set, sql`, `)}, ${nextVersionNowSql()}
        where id = ${a.actorId} and version = ${a.version} and home_municipality_code = ${a.municipalityCode}
        returning id`,
  );
  return written.length > 0;
}

/** Fresh ids from a serial's sequence, so rows and their children can be written set-wise. */
export async function nextIds(on: Queryable, sequence: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  const ids = await rows<{ id: number }>(
    on,
    sql`select nextval(${sequence}::regclass)::int as id from generate_series(1, ${n})`,
  );
  return ids.map((r) => r.id);
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
