import type { IntMap } from '../../lib/int-set.ts';
import { fold } from '../../lib/upload.ts';
import { awardedStatuses } from '../grants/grants.rules.ts';
import type { GrantRowPlan } from './imports.grant-rows.ts';
import type { ExistingGrant } from './imports.matching.repository.ts';
import type { ImportProblem } from './imports.schemas.ts';

/* A grant list's rows compared with the registered grants they may be. */

/** Grants already paid out or closed are left as they are when a file says otherwise. */
const LOCKED_STATUSES = new Set(['paid', 'accounted', 'closed', 'withdrawn']);

/** A registered grant as the file leaves it: what the row gives over what it has. */
interface NextGrant {
  /** Null when the row's actor is registered by this import: filled in once it is. */
  actorId: number | null;
  title: string;
  purpose: string | null;
  requestedOre: number;
  awardedOre: number | null;
  status: string;
  decisionOn: string | null;
  /** The allocations are replaced by one on this group (none when nothing is awarded). */
  reallocate: boolean;
  targetGroupId: number | null;
}

export type GrantChange =
  | { kind: 'create'; row: GrantRowPlan }
  | { kind: 'update'; row: GrantRowPlan; existing: ExistingGrant; next: NextGrant }
  | { kind: 'skip'; row: GrantRowPlan; existing: ExistingGrant; locked: boolean }
  | { kind: 'invalid'; row: GrantRowPlan; problem: ImportProblem };

/** The decision a status holds: a grant paid, accounted or closed was approved (as the file says). */
const decisionOf = (status: string) => ((awardedStatuses as readonly string[]).includes(status) ? 'approved' : status);

/** A decision the file may make: an application approved or rejected; nothing goes back. */
const mayMove = (from: string, to: string) =>
  from === to || (from === 'applied' && (to === 'approved' || to === 'rejected'));

/**
 * The registered grant with the row's given fields laid over it. The allocations are only touched
 * when the file gives an award that differs, or names a group the award is not allocated to: a
 * grant split over several groups stays split when the file names one of them and the same award.
 * A new award goes to the group the row names, else the grant's one group, else the default group.
 */
function nextGrant(row: GrantRowPlan, actorId: number | null, g: ExistingGrant): NextGrant {
  const awardGiven = row.awardedOre !== null;
  const awarded = awardGiven ? row.awardedOre : g.awardedOre;
  // Another group for the award, with or without the amount: the award moves to that group.
  const otherGroup =
    row.groupGiven && (awarded ?? 0) > 0 && row.targetGroupId !== null && !g.groupIds.includes(row.targetGroupId);
  const reallocate = (awardGiven && row.awardedOre !== g.awardedOre) || otherGroup;
  const targetGroupId = row.groupGiven
    ? row.targetGroupId
    : g.groupIds.length === 1
      ? (g.groupIds[0] ?? null)
      : g.groupIds.length === 0
        ? row.targetGroupId
        : null;
  return {
    actorId,
    title: row.titleGiven ? row.title : g.title,
    purpose: row.purpose ?? g.purpose,
    requestedOre: row.requestedOre ?? g.requestedOre,
    awardedOre: awarded,
    status: awardGiven ? row.status : g.status,
    decisionOn: row.decisionOn ?? g.decisionOn,
    reallocate,
    targetGroupId,
  };
}

/** The ids that two or more keys of the file resolve to. */
export function reachedTwice(ids: Map<string, number | null>): Set<number> {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const id of ids.values()) {
    if (id === null) continue;
    if (seen.has(id)) twice.add(id);
    seen.add(id);
  }
  return twice;
}

/**
 * Where two rows of a file may land on one registered grant. readGrants has refused two rows of one
 * grant key (a case number in a round, else actor and title in a round), so two rows reach one
 * registered grant only through a round, or an actor, that two keys of the file resolve to.
 */
export interface SharedIds {
  rounds: Set<number>;
  actors: Set<number>;
}

/**
 * Each row against the registered grants of its round: by reference, else by actor and title. A
 * row that would need a target group it does not have, or that lands on a grant an earlier row of
 * the file already took, is a problem rather than a write.
 */
export function compareGrants(
  rows: GrantRowPlan[],
  roundIds: Map<string, number | null>,
  actorIds: Map<string, number | null>,
  existing: ExistingGrant[],
  columnOf: (field: string) => string,
  shared: SharedIds,
  /**
   * Registered grants already matched by earlier rows of the file (id → line): only those reached
   * through a shared round or actor, the only ones a later row can reach again.
   */
  taken: IntMap,
): GrantChange[] {
  const byRef = new Map<string, ExistingGrant>();
  const byKey = new Map<string, ExistingGrant>();
  for (const g of existing) {
    if (g.externalRef) byRef.set(`${g.roundId}|${g.externalRef}`, g);
    byKey.set(`${g.roundId}|${g.actorId}|${fold(g.title)}`, g);
  }
  const invalid = (
    row: GrantRowPlan,
    field: string,
    message: string,
    params?: Record<string, number>,
  ): GrantChange => ({
    kind: 'invalid',
    row,
    problem: { line: row.line, column: columnOf(field), message, ...(params ? { params } : {}) },
  });
  const create = (row: GrantRowPlan): GrantChange =>
    (row.awardedOre ?? 0) > 0 && row.targetGroupId === null
      ? invalid(row, 'targetGroup', 'import.groupRequired')
      : { kind: 'create', row };
  return rows.map((row): GrantChange => {
    const roundId = roundIds.get(row.roundKey);
    const actorId = actorIds.get(row.actorKey) ?? null;
    if (!roundId) return create(row);
    const match = row.externalRef
      ? byRef.get(`${roundId}|${row.externalRef}`)
      : actorId
        ? byKey.get(`${roundId}|${actorId}|${fold(row.title)}`)
        : undefined;
    if (!match || (!row.externalRef && match.externalRef)) return create(row);
    if (shared.rounds.has(roundId) || (!row.externalRef && actorId !== null && shared.actors.has(actorId))) {
      const first = taken.get(match.id);
      if (first !== undefined)
        return invalid(row, row.externalRef ? 'externalRef' : 'title', 'import.sameGrant', { first });
      taken.set(match.id, row.line);
    }
    const next = nextGrant(row, actorId, match);
    const same =
      next.actorId === match.actorId &&
      next.title === match.title &&
      next.purpose === match.purpose &&
      next.requestedOre === match.requestedOre &&
      next.awardedOre === match.awardedOre &&
      decisionOf(next.status) === decisionOf(match.status) &&
      next.decisionOn === match.decisionOn &&
      !next.reallocate;
    if (same) return { kind: 'skip', row, existing: match, locked: false };
    if (LOCKED_STATUSES.has(match.status) || !mayMove(match.status, next.status))
      return { kind: 'skip', row, existing: match, locked: true };
    if (next.reallocate && (next.awardedOre ?? 0) > 0 && next.targetGroupId === null)
      return invalid(row, 'targetGroup', match.groupIds.length > 1 ? 'import.splitAward' : 'import.groupRequired');
    return { kind: 'update', row, existing: match, next };
  });
}
