import type { Db } from '../../db/client.ts';
import { leavesCachesAlone } from '../../db/driver-patches.ts';
import { AppError } from '../../lib/errors.ts';
import { mayReadAudit } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import {
  type AuditFilters,
  actorAuditEntries,
  auditFacets,
  recordAudit,
  searchAuditTrail,
} from './audit.repository.ts';

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

/**
 * The part of the trail a reader may see: admin and finance, their own municipality's entries.
 * Anyone else is refused (a national role may come later; there is none now).
 */
function readableBy(principal: Principal): number {
  if (!mayReadAudit(principal) || principal.municipalityCode === null) {
    throw new AppError('FORBIDDEN', 403, 'error.forbidden');
  }
  return principal.municipalityCode;
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
      const rows = await actorAuditEntries(db, actorId, options.contactsVisible);
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
      const { rows, total } = await searchAuditTrail(db, readableBy(principal), filters);
      return { items: withChanges(rows), total };
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
      return auditFacets(db, readableBy(principal));
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
