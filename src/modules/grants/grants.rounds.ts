/**
 * Grant rounds: a municipality's rounds with their totals, the split of a round by target group,
 * and moving a round on (planned → open → closed → decided). Part of the grant service
 * (createGrantService spreads these methods in).
 */
import type { Database, Db, Tx } from '../../db/client.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import type { Page } from '../../lib/pagination.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { writeTag } from '../../lib/write-tags.ts';
import { unknownTargetGroupIds } from '../actors/actors.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { type GroupTotal, type RoundRow, roundByTargetGroup } from './grants.repository.ts';
import {
  awardedInRound,
  findRound,
  findRoundWhole,
  insertRound,
  listRounds,
  pageRounds,
  type RoundExtras,
  replaceRoundCriteria,
  replaceRoundTargetGroups,
  roundExtras,
  roundRows,
  roundTotals,
  updateRoundIfVersion,
} from './grants.rounds.repository.ts';
import { reportDueOf, windowProblem } from './grants.rules.ts';
import {
  nextRoundStatus,
  type Round,
  type RoundInput,
  type RoundListQuery,
  type RoundPatch,
} from './grants.schemas.ts';

/** Grant rounds: the grant service's methods for them. Changing a round's details: updateRound. */
export function createRoundService(database: Database) {
  const { db } = database;
  // A round's split by target group is a small report over all its grants, read by everyone who
  // opens the round: worked out once until a write in the round's municipality (or to the groups).
  const splits = createReadCache<{ municipalityCode: number | null; totals: GroupTotal[] }>(database.writes, {
    max: 500,
    ttlMs: 10_000,
  });

  async function toRounds(rows: RoundRow[], on: Db | Tx = db): Promise<Round[]> {
    const ids = rows.map((r) => r.id);
    const [totals, extras] = await Promise.all([roundTotals(on, ids), roundExtras(on, ids)]);
    return roundsOf(rows, totals, extras);
  }

  /** The rounds with their totals and their target groups and criteria, as read. */
  function roundsOf(
    rows: RoundRow[],
    totals: Awaited<ReturnType<typeof roundTotals>>,
    extras: Awaited<ReturnType<typeof roundExtras>>,
  ): Round[] {
    return rows.map((r) => {
      const t = totals.get(r.id);
      const x = extras.get(r.id);
      const awardedOre = t?.awardedOre ?? 0n;
      const paidOre = t?.paidOre ?? 0n;
      return {
        id: r.id,
        municipalityCode: r.municipalityCode,
        year: r.year,
        name: r.name,
        budgetOre: r.budgetOre,
        applicationsOpenOn: r.applicationsOpenOn,
        applicationsCloseOn: r.applicationsCloseOn,
        decisionOn: r.decisionOn,
        reportDueOn: reportDueOf(r),
        status: r.status,
        description: r.description,
        targetGroupIds: x?.targetGroupIds ?? [],
        criteria: x?.criteria ?? [],
        version: r.version,
        // Sums, exact, as decimal strings: over many grants they can pass 2^53.
        requestedOre: (t?.requestedOre ?? 0n).toString(),
        awardedOre: awardedOre.toString(),
        remainingOre: (BigInt(r.budgetOre) - awardedOre).toString(),
        paidOre: paidOre.toString(),
        outstandingOre: (awardedOre - paidOre).toString(),
        grantsByStatus: t?.grantsByStatus ?? {},
      };
    });
  }

  /**
   * What a round's details must keep to: the application window in order, the budget not below what
   * is already awarded from it, and the year fixed once the round has grants (their report dates and
   * the reports by year were worked out from it).
   */
  async function checkRoundChange(tx: Tx, before: RoundRow, changes: Omit<RoundPatch, 'status' | 'version'>) {
    const opens = changes.applicationsOpenOn === undefined ? before.applicationsOpenOn : changes.applicationsOpenOn;
    const closes = changes.applicationsCloseOn === undefined ? before.applicationsCloseOn : changes.applicationsCloseOn;
    const order = windowProblem(opens, closes);
    if (order) throw validationFailed(order);
    if (changes.budgetOre !== undefined && changes.budgetOre < before.budgetOre) {
      const awarded = await awardedInRound(tx, before.id, 0);
      if (BigInt(changes.budgetOre) < awarded) {
        throw new AppError('BUDGET_BELOW_AWARDED', 409, 'round.budget.belowAwarded', {
          fieldErrors: { budgetOre: ['round.budget.belowAwarded'] },
          details: { awardedOre: awarded.toString(), budgetOre: changes.budgetOre },
        });
      }
    }
    if (changes.year !== undefined && changes.year !== before.year) {
      const counted = (await roundTotals(tx, [before.id])).get(before.id);
      if (Object.values(counted?.grantsByStatus ?? {}).some((n) => n > 0)) {
        throw new AppError('ROUND_YEAR_LOCKED', 409, 'round.year.locked', {
          fieldErrors: { year: ['round.year.locked'] },
        });
      }
    }
  }

  /**
   * The round's target groups and criteria as given: the groups must exist, and a criterion's id must
   * be one of this round's (a new round has none), each named once.
   */
  async function checkRoundExtras(
    tx: Tx,
    roundId: number | null,
    municipalityCode: number,
    changes: Pick<RoundPatch, 'targetGroupIds' | 'criteria'>,
  ) {
    const errors: Record<string, string[]> = {};
    if (changes.targetGroupIds && (await unknownTargetGroupIds(tx, changes.targetGroupIds, municipalityCode)).length)
      errors.targetGroupIds = ['round.targetGroups.unknown'];
    if (changes.criteria) {
      const own = new Set(
        roundId === null ? [] : ((await roundExtras(tx, [roundId])).get(roundId)?.criteria ?? []).map((c) => c.id),
      );
      const seen = new Set<number>();
      for (const [i, c] of changes.criteria.entries()) {
        if (c.id === undefined) continue;
        if (!own.has(c.id) || seen.has(c.id)) errors[`criteria.${i}.id`] = ['round.criteria.unknown'];
        seen.add(c.id);
      }
    }
    if (Object.keys(errors).length) throw validationFailed(errors);
  }

  /** Writes the round's target groups and criteria where the change names them. */
  async function writeRoundExtras(tx: Tx, roundId: number, changes: Pick<RoundPatch, 'targetGroupIds' | 'criteria'>) {
    if (changes.targetGroupIds) await replaceRoundTargetGroups(tx, roundId, changes.targetGroupIds);
    if (changes.criteria) await replaceRoundCriteria(tx, roundId, changes.criteria);
  }

  /** The round's row with its target groups and criteria, as the audit trail records it. */
  async function auditedRound(tx: Tx, row: RoundRow): Promise<RoundRow & RoundExtras> {
    const extras = (await roundExtras(tx, [row.id])).get(row.id) ?? { targetGroupIds: [], criteria: [] };
    return { ...row, ...extras };
  }

  const service = {
    async listRounds(municipalityCode?: number, year?: number): Promise<Round[]> {
      return toRounds(await listRounds(db, municipalityCode, year));
    },

    /** One page of the rounds (of a municipality, of a year), each with its overview. */
    async pageRounds(query: RoundListQuery): Promise<Page<Round>> {
      const { rows, total } = await pageRounds(db, query, query);
      return { items: await toRounds(rows), total };
    },

    /** Rounds by municipality or id, without totals: cheap, for names and menus. */
    roundList(filter: { municipalityCode?: number; ids?: number[] }) {
      return roundRows(db, filter);
    },

    async getRound(id: number): Promise<Round> {
      // The row, its totals and its extras in one statement.
      const found = await findRoundWhole(db, id);
      if (!found) throw notFound('grant_round', id);
      const [round] = roundsOf([found.row], found.totals, found.extras);
      if (!round) throw notFound('grant_round', id);
      return round;
    },

    /** The round's awards and payments by target group, rolled up the FFB tree and local groups. */
    async roundByTargetGroup(id: number): Promise<GroupTotal[]> {
      const split = await splits.get(
        String(id),
        (kept) =>
          kept.municipalityCode === null
            ? [writeTag.anyMunicipality, writeTag.targetGroups]
            : [writeTag.municipality(kept.municipalityCode), writeTag.targetGroups],
        async () => {
          const [round, totals] = await Promise.all([findRound(db, id), roundByTargetGroup(db, id)]);
          return { municipalityCode: round?.municipalityCode ?? null, totals };
        },
      );
      return split.totals;
    },

    async createRound(principal: Principal, input: RoundInput): Promise<Round> {
      const municipalityCode = input.municipalityCode ?? principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'grants', municipalityCode);
      const order = windowProblem(input.applicationsOpenOn, input.applicationsCloseOn);
      if (order) throw validationFailed(order);
      const { targetGroupIds, criteria, ...fields } = input;
      const row = await db.transaction(async (tx) => {
        await checkRoundExtras(tx, null, municipalityCode, { targetGroupIds, criteria });
        const created = await insertRound(tx, { ...fields, municipalityCode });
        await writeRoundExtras(tx, created.id, { targetGroupIds, criteria });
        await recordAudit(tx, principal, {
          entity: 'grant_round',
          entityId: created.id,
          action: 'create',
          after: await auditedRound(tx, created),
        });
        return created;
      });
      return service.getRound(row.id);
    },

    async updateRound(principal: Principal, id: number, patch: RoundPatch & { version: number }): Promise<Round> {
      await db.transaction(async (tx) => {
        const before = await findRound(tx, id, true);
        if (!before) throw notFound('grant_round', id);
        assertMayWrite(principal, 'grants', before.municipalityCode);
        if (before.version !== patch.version) throw staleVersion('grant_round', (await toRounds([before], tx))[0]);
        const { version, targetGroupIds, criteria, ...changes } = patch;
        await checkRoundChange(tx, before, changes);
        await checkRoundExtras(tx, id, before.municipalityCode, { targetGroupIds, criteria });
        if (changes.status && changes.status !== before.status) {
          if (changes.status !== nextRoundStatus(before.status)) {
            throw new AppError('INVALID_TRANSITION', 409, 'grant.round.transition', {
              details: { from: before.status, to: changes.status },
            });
          }
        }
        const beforeWhole = await auditedRound(tx, before);
        const after = await updateRoundIfVersion(tx, id, version, changes);
        if (!after) throw staleVersion('grant_round', (await toRounds([before], tx))[0]);
        await writeRoundExtras(tx, id, { targetGroupIds, criteria });
        await recordAudit(tx, principal, {
          entity: 'grant_round',
          entityId: id,
          action: 'update',
          before: beforeWhole,
          after: await auditedRound(tx, after),
        });
      });
      return service.getRound(id);
    },

    /**
     * Moves a round one step on: planned → open → closed → decided. A decided round stays as it is.
     * The version read decides which step: a round moved on since gets 409, never a second step.
     */
    async advanceRound(principal: Principal, id: number, version: number): Promise<Round> {
      const round = await findRound(db, id);
      if (!round) throw notFound('grant_round', id);
      assertMayWrite(principal, 'grants', round.municipalityCode);
      const next = nextRoundStatus(round.status);
      if (!next) return service.getRound(id);
      return service.updateRound(principal, id, { version, status: next });
    },
  };
  return service;
}
