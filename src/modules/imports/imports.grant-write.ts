import type { Queryable } from '../../db/client.ts';
import type { Principal } from '../../lib/principal.ts';
import type { GrantChange } from './imports.grant-compare.ts';
import { importConflict, SLICE } from './imports.plan.ts';
import {
  auditGrantUpdates,
  auditImportedRows,
  inSlices,
  insertGrantRecords,
  nextIds,
  reallocateGrantRecords,
  updateGrantRecords,
} from './imports.writing.repository.ts';

/* Writing a batch of a grant list's rows, set-wise, each statement a slice of them. */

/** Registers the new grants of a batch, their allocations and audit entries, set-wise. */
export async function writeCreates(
  tx: Queryable,
  principal: Principal,
  changes: GrantChange[],
  roundIds: Map<string, number | null>,
  actorIds: Map<string, number | null>,
  dueOf: (roundId: number) => string,
  beyondBudget: (c: GrantChange) => boolean,
) {
  const creates = changes.filter((c) => c.kind === 'create');
  const ids = await nextIds(tx, 'grants_id_seq', creates.length);
  await inSlices(
    creates,
    SLICE,
    (json) => insertGrantRecords(tx, json),
    (c, i) => {
      const roundId = roundIds.get(c.row.roundKey) as number;
      return {
        id: ids[i],
        round_id: roundId,
        actor_id: actorIds.get(c.row.actorKey),
        title: c.row.title,
        purpose: c.row.purpose,
        requested: c.row.requestedOre ?? c.row.awardedOre ?? 0,
        awarded: c.row.awardedOre,
        decision_on: c.row.decisionOn,
        status: c.row.status,
        due: dueOf(roundId),
        ref: c.row.externalRef,
        group: c.row.targetGroupId,
        over: beyondBudget(c),
      };
    },
  );
  await inSlices(ids, SLICE, (_json, slice) => auditImportedRows(tx, principal, 'grants', slice));
  return ids;
}

/** Writes the registered grants a batch changes, only where each is still as it was read. */
export async function writeUpdates(
  tx: Queryable,
  principal: Principal,
  importId: number,
  changes: GrantChange[],
  actorIds: Map<string, number | null>,
  beyondBudget: (c: GrantChange) => boolean,
) {
  const updates = changes.flatMap((c) => (c.kind === 'update' ? [c] : []));
  await inSlices(
    updates,
    SLICE,
    async (json, slice) => {
      // Only a grant still as it was read is written: one changed since (or paid meanwhile) stops
      // the import, and nothing of it is saved.
      const written = await updateGrantRecords(tx, json);
      if (written !== slice.length) throw importConflict();
      await auditGrantUpdates(tx, principal, importId, json);
      await reallocateGrantRecords(tx, json);
    },
    (change) => {
      const { row, existing, next } = change;
      return {
        id: existing.id,
        version: existing.version,
        actor_id: next.actorId ?? actorIds.get(row.actorKey),
        title: next.title,
        purpose: next.purpose,
        requested: next.requestedOre,
        awarded: next.awardedOre,
        decision_on: next.decisionOn,
        status: next.status,
        ref: row.externalRef,
        group: next.targetGroupId,
        reallocate: next.reallocate,
        before: existing,
        over: beyondBudget(change),
      };
    },
  );
}
