import type { Config } from '../../config.ts';
import type { Database, Db, Tx } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { createReadCache } from '../../lib/read-cache.ts';
import { findActorRow, unknownTargetGroupIds } from '../actors/actors.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import {
  actorHasOverdueReport,
  awardedInRound,
  findGrant,
  findGrantWithParts,
  findRound,
  type GrantRow,
  type GrantWithParts,
  type GroupTotal,
  insertGrant,
  insertRound,
  listRounds,
  type RoundRow,
  replaceAllocations,
  replacePayments,
  roundByTargetGroup,
  roundRows,
  roundTotals,
  searchGrants,
  updateGrantIfVersion,
  updateRoundIfVersion,
} from './grants.repository.ts';
import {
  type Grant,
  type GrantCreate,
  type GrantListQuery,
  type GrantPatch,
  type GrantStatus,
  type GrantTransition,
  type Round,
  type RoundInput,
  type RoundPatch,
  roundStatuses,
} from './grants.schemas.ts';

/** The grant status flow. Anything else is refused with 409. */
const NEXT: Record<GrantStatus, GrantStatus[]> = {
  applied: ['approved', 'rejected', 'withdrawn'],
  approved: ['paid'],
  paid: ['accounted'],
  accounted: ['closed'],
  rejected: [],
  withdrawn: [],
  closed: [],
};

/** 1 June of the year after the round's. */
const defaultReportDue = (year: number) => `${year + 1}-06-01`;

/** Today in Denmark: a report due yesterday is overdue from midnight Danish time. */
const today = () => danishDate();

export function createGrantService(database: Database, config: Config) {
  const { db } = database;
  const threshold = config.auditorThresholdOre;
  // A round's split by target group is a small report over all its grants, read by everyone who
  // opens the round: worked out once per write generation.
  const splits = createReadCache<GroupTotal[]>(database.generation, { max: 500, ttlMs: 10_000 });

  async function toRounds(rows: RoundRow[], on: Db | Tx = db): Promise<Round[]> {
    const totals = await roundTotals(
      on,
      rows.map((r) => r.id),
    );
    return rows.map((r) => {
      const t = totals.get(r.id);
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
        reportDueOn: r.reportDueOn ?? defaultReportDue(r.year),
        status: r.status,
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

  /** Grants for the API and the pages, from rows that carry their allocations and payments. */
  function toGrants(rows: Pick<GrantWithParts, 'grant' | 'municipalityCode' | 'allocations' | 'payments'>[]): Grant[] {
    const now = today();
    return rows.map(({ grant: g, municipalityCode, allocations, payments: own }) => {
      return {
        id: g.id,
        roundId: g.roundId,
        municipalityCode,
        actorId: g.actorId,
        title: g.title,
        purpose: g.purpose,
        kind: g.kind,
        inKindDescription: g.inKindDescription,
        requestedOre: g.requestedOre,
        awardedOre: g.awardedOre,
        decisionOn: g.decisionOn,
        periodStart: g.periodStart,
        periodEnd: g.periodEnd,
        status: g.status,
        reportDueOn: g.reportDueOn,
        reportReceivedOn: g.reportReceivedOn,
        reportOverdue:
          g.reportReceivedOn === null && g.reportDueOn < now && (g.status === 'approved' || g.status === 'paid'),
        auditorEndorsementRequired: (g.awardedOre ?? 0) >= threshold,
        auditorEndorsed: g.auditorEndorsed,
        budgetOverride: g.budgetOverride,
        allocations: allocations.map((a) => ({ targetGroupId: a.targetGroupId, amountOre: a.amountOre })),
        payments: own.map((p) => ({ kind: p.kind, paidOn: p.paidOn, amountOre: p.amountOre })),
        paidOre: own.reduce((s, p) => s + (p.kind === 'payment' ? p.amountOre : -p.amountOre), 0),
        version: g.version,
      };
    });
  }

  async function loadGrant(on: Db | Tx, id: number): Promise<Grant> {
    const found = await findGrantWithParts(on, id);
    const [grant] = found ? toGrants([found]) : [];
    if (!grant) throw notFound('grant', id);
    return grant;
  }

  async function checkAllocations(tx: Tx, lines: { targetGroupId: number; amountOre: number }[], awarded: number) {
    if (new Set(lines.map((l) => l.targetGroupId)).size !== lines.length) {
      throw validationFailed({ allocations: ['grant.allocations.duplicate'] });
    }
    if (
      (
        await unknownTargetGroupIds(
          tx,
          lines.map((l) => l.targetGroupId),
        )
      ).length
    ) {
      throw validationFailed({ allocations: ['grant.allocations.unknownGroup'] });
    }
    const sum = lines.reduce((s, l) => s + l.amountOre, 0);
    if (sum !== awarded) {
      throw new AppError('ALLOCATION_MISMATCH', 400, 'grant.allocations.mismatch', {
        fieldErrors: { allocations: ['grant.allocations.mismatch'] },
        details: { allocatedOre: sum, awardedOre: awarded },
      });
    }
  }

  const service = {
    async listRounds(municipalityCode?: number, year?: number): Promise<Round[]> {
      return toRounds(await listRounds(db, municipalityCode, year));
    },

    /** Rounds by municipality or id, without totals: cheap, for names and menus. */
    async roundList(filter: { municipalityCode?: number; ids?: number[] }) {
      return (await roundRows(db, filter)).map((r) => ({
        id: r.id,
        municipalityCode: r.municipalityCode,
        year: r.year,
        name: r.name,
        status: r.status,
      }));
    },

    async getRound(id: number): Promise<Round> {
      const row = await findRound(db, id);
      if (!row) throw notFound('grant_round', id);
      const [round] = await toRounds([row]);
      if (!round) throw notFound('grant_round', id);
      return round;
    },

    /** The round's awards and payments by target group, rolled up the FFB tree and local groups. */
    async roundByTargetGroup(id: number): Promise<GroupTotal[]> {
      return splits.get(String(id), () => roundByTargetGroup(db, id));
    },

    async createRound(principal: Principal, input: RoundInput): Promise<Round> {
      const municipalityCode = input.municipalityCode ?? principal.municipalityCode ?? 0;
      assertMayWrite(principal, 'grants', municipalityCode);
      const row = await db.transaction(async (tx) => {
        const created = await insertRound(tx, { ...input, municipalityCode });
        await recordAudit(tx, principal, {
          entity: 'grant_round',
          entityId: created.id,
          action: 'create',
          after: created,
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
        const { version, ...changes } = patch;
        if (changes.status && changes.status !== before.status) {
          const from = roundStatuses.indexOf(before.status);
          if (roundStatuses.indexOf(changes.status) !== from + 1) {
            throw new AppError('INVALID_TRANSITION', 409, 'grant.round.transition', {
              details: { from: before.status, to: changes.status },
            });
          }
        }
        const after = await updateRoundIfVersion(tx, id, version, changes);
        if (!after) throw staleVersion('grant_round', (await toRounds([before], tx))[0]);
        await recordAudit(tx, principal, { entity: 'grant_round', entityId: id, action: 'update', before, after });
      });
      return service.getRound(id);
    },

    async listGrants(query: GrantListQuery) {
      const found = await searchGrants(db, query);
      return {
        items: toGrants(found.rows),
        /** The rounds of the grants listed, for their names. */
        rounds: [
          ...new Map(
            found.rows.map((r) => [r.grant.roundId, { id: r.grant.roundId, name: r.roundName, year: r.roundYear }]),
          ).values(),
        ],
        total: found.total,
        requestedOre: found.requestedOre,
        awardedOre: found.awardedOre,
      };
    },

    async getGrant(id: number): Promise<Grant> {
      return loadGrant(db, id);
    },

    /** Records an application. A round that is decided takes no more. */
    async apply(principal: Principal, input: GrantCreate): Promise<Grant> {
      const id = await db.transaction(async (tx) => {
        const round = await findRound(tx, input.roundId);
        if (!round) throw validationFailed({ roundId: ['grant.round.unknown'] });
        assertMayWrite(principal, 'grants', round.municipalityCode);
        if (round.status === 'decided') throw new AppError('ROUND_DECIDED', 409, 'grant.round.decided');
        if (!(await findActorRow(tx, input.actorId))) throw validationFailed({ actorId: ['grant.actor.unknown'] });
        if (input.kind === 'in_kind' && !input.inKindDescription) {
          throw validationFailed({ inKindDescription: ['grant.inKind.description'] });
        }
        const row = await insertGrant(tx, {
          ...input,
          reportDueOn: round.reportDueOn ?? defaultReportDue(round.year),
        });
        await recordAudit(tx, principal, { entity: 'grant', entityId: row.id, action: 'create', after: row });
        return row.id;
      });
      const grant = await loadGrant(db, id);
      const overdue = await actorHasOverdueReport(db, input.actorId);
      return overdue ? { ...grant, warnings: ['ACTOR_HAS_OVERDUE_REPORT'] } : grant;
    },

    async updateGrant(principal: Principal, id: number, patch: GrantPatch & { version: number }): Promise<Grant> {
      await db.transaction(async (tx) => {
        const before = await findGrant(tx, id, true);
        if (!before) throw notFound('grant', id);
        const round = await findRound(tx, before.roundId);
        assertMayWrite(principal, 'grants', round?.municipalityCode ?? 0);
        if (before.version !== patch.version) throw staleVersion('grant', await loadGrant(tx, id));
        const { version, allocations, payments, ...changes } = patch;
        if (allocations) {
          if (before.awardedOre === null) throw validationFailed({ allocations: ['grant.allocations.notAwarded'] });
          await checkAllocations(tx, allocations, before.awardedOre);
          await replaceAllocations(tx, id, allocations);
        }
        if (payments) {
          const net = payments.reduce((s, p) => s + (p.kind === 'payment' ? p.amountOre : -p.amountOre), 0);
          if (before.awardedOre === null || net > before.awardedOre || net < 0) {
            throw new AppError('PAYMENTS_EXCEED_AWARD', 409, 'grant.payments.exceed', {
              fieldErrors: { payments: ['grant.payments.exceed'] },
            });
          }
          await replacePayments(tx, id, payments);
        }
        const after = await updateGrantIfVersion(tx, id, version, changes);
        if (!after) throw staleVersion('grant', await loadGrant(tx, id));
        await recordAudit(tx, principal, {
          entity: 'grant',
          entityId: id,
          action: 'update',
          before,
          after: { ...after, ...(allocations ? { allocations } : {}), ...(payments ? { payments } : {}) },
        });
      });
      return loadGrant(db, id);
    },

    /**
     * Moves a grant along its status flow. Approving awards money: the split must add up to the
     * award, and the award must fit the round's remaining budget unless finance overrides it
     * explicitly. The round's row is locked, so concurrent awards cannot overspend it together.
     */
    async transition(principal: Principal, id: number, t: GrantTransition): Promise<Grant> {
      await db.transaction(async (tx) => {
        const before = await findGrant(tx, id);
        if (!before) throw notFound('grant', id);
        const round = await findRound(tx, before.roundId, true);
        if (!round) throw notFound('grant_round', before.roundId);
        assertMayWrite(principal, 'grants', round.municipalityCode);
        const current = await findGrant(tx, id, true);
        if (!current || current.version !== t.version) throw staleVersion('grant', await loadGrant(tx, id));
        if (!NEXT[current.status].includes(t.to)) {
          throw new AppError('INVALID_TRANSITION', 409, `grant.transition.${current.status}`, {
            details: { from: current.status, to: t.to },
          });
        }
        const changes: Partial<GrantRow> = { status: t.to };
        let action: string = t.to;
        if (t.to === 'approved') {
          if (round.status === 'decided') throw new AppError('ROUND_DECIDED', 409, 'grant.round.decided');
          const awarded = t.awardedOre ?? current.requestedOre;
          // Nothing awarded is a rejection: an approval of 0 kr. would have no target group to split on.
          if (awarded < 1) throw validationFailed({ awardedOre: ['grant.award.zero'] }, 'grant.award.zero');
          const lines =
            t.allocations ?? (t.targetGroupId ? [{ targetGroupId: t.targetGroupId, amountOre: awarded }] : []);
          await checkAllocations(tx, lines, awarded);
          const remaining = BigInt(round.budgetOre) - (await awardedInRound(tx, round.id, id));
          if (BigInt(awarded) > remaining) {
            if (!t.overrideBudget) {
              throw new AppError('GRANT_OVER_BUDGET', 409, 'grant.budget.exceeded', {
                details: { remainingOre: remaining.toString(), awardedOre: awarded },
              });
            }
            changes.budgetOverride = true;
            action = 'approve_over_budget';
          }
          changes.awardedOre = awarded;
          changes.decisionOn = t.decisionOn ?? today();
          await replaceAllocations(tx, id, lines);
        }
        if (t.to === 'paid') {
          const found = await findGrantWithParts(tx, id);
          const [grant] = found ? toGrants([found]) : [];
          if ((grant?.paidOre ?? 0) !== current.awardedOre) {
            throw new AppError('NOT_FULLY_PAID', 409, 'grant.transition.notPaid');
          }
        }
        if (t.to === 'accounted') {
          if (!current.reportReceivedOn) throw new AppError('REPORT_MISSING', 409, 'grant.transition.noReport');
          if ((current.awardedOre ?? 0) >= threshold && !current.auditorEndorsed) {
            throw new AppError('ENDORSEMENT_MISSING', 409, 'grant.transition.noEndorsement');
          }
        }
        const after = await updateGrantIfVersion(tx, id, t.version, changes);
        if (!after) throw staleVersion('grant', await loadGrant(tx, id));
        await recordAudit(tx, principal, { entity: 'grant', entityId: id, action, before: current, after });
      });
      return loadGrant(db, id);
    },
  };
  return service;
}
export type GrantService = ReturnType<typeof createGrantService>;
