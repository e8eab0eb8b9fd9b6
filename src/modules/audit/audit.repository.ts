import { and, count, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { noteWrite } from '../../db/driver-patches.ts';
import { auditLog, users } from '../../db/schema/index.ts';
import type { Principal } from '../../lib/principal.ts';

export interface AuditEntry {
  entity: string;
  entityId: string | number;
  action: string;
  before?: unknown;
  after?: unknown;
}

/** Appends to the audit trail. Call it with the transaction that makes the change. */
export async function recordAudit(tx: Queryable, principal: Principal, entry: AuditEntry): Promise<void> {
  noteWrite(principal.municipalityCode, entry.entity, entry.action);
  await tx.insert(auditLog).values({
    userId: principal.userId,
    municipalityCode: principal.municipalityCode,
    entity: entry.entity,
    entityId: String(entry.entityId),
    action: entry.action,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
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

/** The entities and actions a municipality's entries hold. */
export async function auditFacets(db: Queryable, municipalityCode: number) {
  const mine = eq(auditLog.municipalityCode, municipalityCode);
  const [entities, actions] = await Promise.all([
    db.selectDistinct({ v: auditLog.entity }).from(auditLog).where(mine).orderBy(auditLog.entity),
    db.selectDistinct({ v: auditLog.action }).from(auditLog).where(mine).orderBy(auditLog.action),
  ]);
  return { entities: entities.map((r) => r.v), actions: actions.map((r) => r.v) };
}
