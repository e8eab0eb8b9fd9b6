import { and, count, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { noteWrite } from '../../db/driver-patches.ts';
import { builtOnce } from '../../db/prepared.ts';
import { auditLog, users } from '../../db/schema/index.ts';
import type { Principal } from '../../lib/principal.ts';

export interface AuditEntry {
  entity: string;
  entityId: string | number;
  action: string;
  before?: unknown;
  after?: unknown;
}

/**
 * The audit record's insert, built once (db/prepared.ts): every write makes one. Its JSON is given
 * as text, and null as SQL NULL (a placeholder inside `sql` is sent as given).
 */
const insertAuditRecord = builtOnce<
  {
    userId: number | null;
    municipalityCode: number | null;
    entity: string;
    entityId: string;
    action: string;
    before: string | null;
    after: string | null;
  },
  unknown
>('insert_audit_record', (db) =>
  db.insert(auditLog).values({
    userId: sql.placeholder('userId'),
    municipalityCode: sql.placeholder('municipalityCode'),
    entity: sql.placeholder('entity'),
    entityId: sql.placeholder('entityId'),
    action: sql.placeholder('action'),
    before: sql`${sql.placeholder('before')}::jsonb`,
    after: sql`${sql.placeholder('after')}::jsonb`,
  }),
);

/** Appends to the audit trail. Call it with the transaction that makes the change. */
export async function recordAudit(tx: Queryable, principal: Principal, entry: AuditEntry): Promise<void> {
  noteWrite(principal.municipalityCode, entry.entity, entry.action);
  await insertAuditRecord(tx, {
    userId: principal.userId,
    municipalityCode: principal.municipalityCode,
    entity: entry.entity,
    entityId: String(entry.entityId),
    action: entry.action,
    before: asJson(entry.before),
    after: asJson(entry.after),
  });
}

/** A value as JSON text, as drizzle writes a json column; nothing (undefined or null) as SQL NULL. */
function asJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** What the trail's reader filters by. */
export interface AuditFilters {
  entity?: string;
  action?: string;
  userId?: number;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

const columns = {
  id: auditLog.id,
  at: auditLog.at,
  userId: auditLog.userId,
  userName: users.name,
  municipalityCode: auditLog.municipalityCode,
  entity: auditLog.entity,
  entityId: auditLog.entityId,
  action: auditLog.action,
  before: auditLog.before,
  after: auditLog.after,
};

/** An actor's entries, newest first, and with `withContacts` those of its contact persons too. */
export async function actorAuditEntries(db: Queryable, actorId: number, withContacts: boolean) {
  const own = and(eq(auditLog.entity, 'actor'), eq(auditLog.entityId, String(actorId)));
  const contacts = and(
    eq(auditLog.entity, 'actor_contact'),
    sql`coalesce(${auditLog.after}->>'actorId', ${auditLog.before}->>'actorId') = ${String(actorId)}`,
  );
  return db
    .select(columns)
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(withContacts ? or(own, contacts) : own)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(500);
}

/** One page of a municipality's entries, newest first, filtered, and how many there are in all. */
export async function searchAuditTrail(db: Queryable, municipalityCode: number, filters: AuditFilters) {
  const where: SQL[] = [eq(auditLog.municipalityCode, municipalityCode)];
  if (filters.entity) where.push(eq(auditLog.entity, filters.entity));
  if (filters.action) where.push(eq(auditLog.action, filters.action));
  if (filters.userId !== undefined) where.push(eq(auditLog.userId, filters.userId));
  if (filters.from) where.push(gte(auditLog.at, new Date(`${filters.from}T00:00:00`)));
  if (filters.to) where.push(lt(auditLog.at, sql`${`${filters.to}T00:00:00`}::timestamp + interval '1 day'`));
  const condition = and(...where);
  const [rows, [total]] = await Promise.all([
    db
      .select(columns)
      .from(auditLog)
      .leftJoin(users, eq(users.id, auditLog.userId))
      .where(condition)
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(filters.limit)
      .offset(filters.offset),
    db.select({ n: count() }).from(auditLog).where(condition),
  ]);
  return { rows, total: total?.n ?? 0 };
}

/**
 * The entities and actions a municipality's entries hold: each pair of them found by one descent of
 * audit_log_municipality_entity_action_idx from the one before (a loose index scan), where reading
 * them distinct from the whole trail cost 80 ms for a trail of 50,000 entries (issue 17).
 */
export async function auditFacets(db: Queryable, municipalityCode: number) {
  const [found] = await rows<{ entities: string[]; actions: string[] }>(
    db,
    sql`with recursive pairs as (
      (select entity, action from audit_log where municipality_code = ${municipalityCode}
        order by entity, action limit 1)
      union all
      select next.entity, next.action from pairs cross join lateral (
        select entity, action from audit_log
        where municipality_code = ${municipalityCode} and (entity, action) > (pairs.entity, pairs.action)
        order by entity, action limit 1) next)
    select array(select distinct entity from pairs order by entity) as entities,
      array(select distinct action from pairs order by action) as actions`,
  );
  return { entities: found?.entities ?? [], actions: found?.actions ?? [] };
}
