import type { Queryable } from '../../db/client.ts';
import { auditLog } from '../../db/schema/index.ts';
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
