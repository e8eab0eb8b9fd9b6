import { and, count, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Db, leavesCachesAlone } from '../../db/client.ts';
import { auditLog, users } from '../../db/schema/index.ts';
import { AppError } from '../../lib/errors.ts';
import { mayReadAudit } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from './audit.repository.ts';

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
function changesOf(before: unknown, after: unknown): FieldChange[] {
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

/**
 * The part of the trail a reader may see: admin and finance, their own municipality's entries.
 * Anyone else is refused (a national role may come later; there is none now).
 */
function readableBy(principal: Principal): SQL {
  if (!mayReadAudit(principal) || principal.municipalityCode === null) {
    throw new AppError('FORBIDDEN', 403, 'error.forbidden');
  }
  return eq(auditLog.municipalityCode, principal.municipalityCode);
}

export function createAuditService(db: Db) {
  const withChanges = <T extends { before: unknown; after: unknown }>(rows: T[]) =>
    rows.map((r) => ({ ...r, changes: changesOf(r.before, r.after) }));

  return {
    /**
     * An actor's history: its own entries, and those of its contact persons (by id only) when the
     * reader may see the contacts. Otherwise the contacts' entries are left out and so are the
     * contact ids in the actor's own changes: the history shows no more than the actor's page.
     */
    async actorHistory(actorId: number, options: { contactsVisible: boolean }) {
      const own = and(eq(auditLog.entity, 'actor'), eq(auditLog.entityId, String(actorId)));
      const contacts = and(
        eq(auditLog.entity, 'actor_contact'),
        sql`coalesce(${auditLog.after}->>'actorId', ${auditLog.before}->>'actorId') = ${String(actorId)}`,
      );
      const rows = await db
        .select(columns)
        .from(auditLog)
        .leftJoin(users, eq(users.id, auditLog.userId))
        .where(options.contactsVisible ? or(own, contacts) : own)
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(500);
      const entries = withChanges(rows);
      if (options.contactsVisible) return entries;
      // An update that changed the contacts and nothing else is left out with them.
      return entries.flatMap((e) => {
        const changes = e.changes.filter((c) => c.field !== 'contactIds');
        if (changes.length === e.changes.length) return [e];
        return changes.length || e.action !== 'update' ? [{ ...e, changes }] : [];
      });
    },

    /**
     * The audit page, for admin and finance: the entries made by their own municipality's users
     * (and sign-in attempts on its accounts), newest first, filtered. Another municipality's
     * entries are not there, whatever the filters; entries of no municipality (a sign-in attempt
     * with an e-mail that is no one's, the system's own work) are no municipality's to read.
     */
    async search(principal: Principal, filters: AuditFilters) {
      const where: SQL[] = [readableBy(principal)];
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
      return { items: withChanges(rows), total: Number(total?.n ?? 0) };
    },

    /**
     * A refused request (403), by the caller and the route. Written in a transaction of its own,
     * which changes no data and so leaves the caches alone: anyone could cause one at will.
     */
    async recordDenied(denial: {
      principal: Principal;
      route: string;
      code: string;
      details?: Record<string, unknown>;
    }): Promise<void> {
      await db.transaction((tx) => {
        leavesCachesAlone(tx);
        return recordAudit(tx, denial.principal, {
          entity: 'access',
          entityId: denial.route.slice(0, 500),
          action: 'denied',
          after: { code: denial.code, ...(denial.details ?? {}) },
        });
      });
    },

    /** The values the filters can take, from what the reader's part of the trail holds. */
    async facets(principal: Principal) {
      const mine = readableBy(principal);
      const [entities, actions] = await Promise.all([
        db.selectDistinct({ v: auditLog.entity }).from(auditLog).where(mine).orderBy(auditLog.entity),
        db.selectDistinct({ v: auditLog.action }).from(auditLog).where(mine).orderBy(auditLog.action),
      ]);
      return { entities: entities.map((r) => r.v), actions: actions.map((r) => r.v) };
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
