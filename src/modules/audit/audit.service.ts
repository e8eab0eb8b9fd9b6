import { and, count, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditLog, users } from '../../db/schema/index.ts';
import { AppError } from '../../lib/errors.ts';
import { mayReadAudit } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';

export interface AuditFilters {
  entity?: string;
  action?: string;
  userId?: number;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** The fields whose values differ between the before and after snapshots of an audit entry. */
export function changesOf(before: unknown, after: unknown): FieldChange[] {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || typeof a !== 'object') return [];
  const skip = new Set(['version', 'updatedAt', 'createdAt', 'id']);
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !skip.has(k));
  return keys
    .filter((k) => JSON.stringify(b[k] ?? null) !== JSON.stringify(a[k] ?? null))
    .map((field) => ({ field, before: b[field] ?? null, after: a[field] ?? null }));
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

export function createAuditService(db: Db) {
  const withChanges = <T extends { before: unknown; after: unknown }>(rows: T[]) =>
    rows.map((r) => ({ ...r, changes: changesOf(r.before, r.after) }));

  return {
    /** An actor's history: its own entries and those of its contact persons (by id only). */
    async actorHistory(actorId: number) {
      const rows = await db
        .select(columns)
        .from(auditLog)
        .leftJoin(users, eq(users.id, auditLog.userId))
        .where(
          or(
            and(eq(auditLog.entity, 'actor'), eq(auditLog.entityId, String(actorId))),
            and(
              eq(auditLog.entity, 'actor_contact'),
              sql`coalesce(${auditLog.after}->>'actorId', ${auditLog.before}->>'actorId') = ${String(actorId)}`,
            ),
          ),
        )
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(500);
      return withChanges(rows);
    },

    /** The audit page, for admin and finance: every entry, newest first, filtered. */
    async search(principal: Principal, filters: AuditFilters) {
      if (!mayReadAudit(principal)) throw new AppError('FORBIDDEN', 403, 'error.forbidden');
      const where: SQL[] = [];
      if (filters.entity) where.push(eq(auditLog.entity, filters.entity));
      if (filters.action) where.push(eq(auditLog.action, filters.action));
      if (filters.userId !== undefined) where.push(eq(auditLog.userId, filters.userId));
      if (filters.from) where.push(gte(auditLog.at, new Date(`${filters.from}T00:00:00`)));
      if (filters.to) where.push(lt(auditLog.at, sql`${`${filters.to}T00:00:00`}::timestamp + interval '1 day'`));
      const condition = where.length ? and(...where) : undefined;
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
      return { items: withChanges(rows), total: Number(total?.n ?? 0) };
    },

    /** The values the filters can take, from what the trail holds. */
    async facets() {
      const [entities, actions] = await Promise.all([
        db.selectDistinct({ v: auditLog.entity }).from(auditLog).orderBy(auditLog.entity),
        db.selectDistinct({ v: auditLog.action }).from(auditLog).orderBy(auditLog.action),
      ]);
      return { entities: entities.map((r) => r.v), actions: actions.map((r) => r.v) };
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
