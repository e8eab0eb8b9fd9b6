import type { Config } from '../../config.ts';
import type { Database, Db, Tx } from '../../db/client.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { assertMayOverrideBudget, assertMayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { findActorRow, unknownTargetGroupIds } from '../actors/actors.repository.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { checkCaseHandler, createCaseHandlerService } from './grants.case-handlers.ts';
import { createGrantListService } from './grants.list.ts';
import {
  actorHasOverdueReport,
  findGrant,
  findGrantWithParts,
  findPayment,
  type GrantRow,
  grantWithCaseNumber,
  insertGrant,
  insertPayment,
  netPaidOre,
  replaceAllocations,
  replacePayments,
  updateGrantIfVersion,
  updatePayment,
} from './grants.repository.ts';
import { awardedInRound, findRound } from './grants.rounds.repository.ts';
import { createRoundService } from './grants.rounds.ts';
import {
  checkPaidWithinAward,
  exceedsBudget,
  grantsOf,
  lockedChanges,
  netPaid,
  nextMark,
  paymentsCorrectable,
  periodProblem,
  reportable,
  reportDueOf,
  transitionBlocker,
} from './grants.rules.ts';
import {
  type Grant,
  type GrantCreate,
  type GrantPatch,
  type GrantTransition,
  type PaymentInput,
  type Round,
  roundTakesGrants,
} from './grants.schemas.ts';

export function createGrantService(database: Database, config: Config) {
  const { db } = database;
  const threshold = config.auditorThresholdOre;

  /** Grants for the API and the pages, from rows that carry their allocations and payments. */
  const toGrants = (rows: Parameters<typeof grantsOf>[0]) => grantsOf(rows, threshold);
  async function loadGrant(on: Db | Tx, id: number): Promise<Grant> {
    const found = await findGrantWithParts(on, id);
    const [grant] = found ? toGrants([found]) : [];
    if (!grant) throw notFound('grant', id);
    return grant;
  }

  /** A grant's row, locked, for a change by someone who may make it, from the version they read. */
  async function grantToChange(tx: Tx, principal: Principal, id: number, version: number): Promise<GrantRow> {
    const before = await findGrant(tx, id, true);
    if (!before) throw notFound('grant', id);
    const round = await findRound(tx, before.roundId);
    assertMayWrite(principal, 'grants', round?.municipalityCode ?? 0);
    if (before.version !== version) throw staleVersion('grant', await loadGrant(tx, id));
    return before;
  }

  /** Saves a change to a grant row read by grantToChange, moving its version on, and audits it. */
  async function saveChange(
    tx: Tx,
    principal: Principal,
    before: GrantRow,
    changes: Partial<GrantRow>,
    made: Record<string, unknown>,
    action = 'update',
  ) {
    const after = await updateGrantIfVersion(tx, before.id, before.version, changes);
    if (!after) throw staleVersion('grant', await loadGrant(tx, before.id));
    await recordAudit(tx, principal, {
      entity: 'grant',
      entityId: before.id,
      action,
      before,
      after: { ...after, ...made },
    });
  }

  async function checkAllocations(
    tx: Tx,
    lines: { targetGroupId: number; amountOre: number }[],
    awarded: number,
    municipalityCode: number,
  ) {
    if (new Set(lines.map((l) => l.targetGroupId)).size !== lines.length) {
      throw validationFailed({ allocations: ['grant.allocations.duplicate'] });
    }
    const groupIds = lines.map((l) => l.targetGroupId);
    if ((await unknownTargetGroupIds(tx, groupIds, municipalityCode)).length) {
      throw validationFailed({ allocations: ['grant.allocations.unknownGroup'] });
    }
    const sum = lines.reduce((s, l) => s + l.amountOre, 0);
    if (sum !== awarded) {
      const message = `grant.allocations.mismatch?allocated=${sum}&awarded=${awarded}`;
      throw new AppError('ALLOCATION_MISMATCH', 400, message, {
        fieldErrors: { allocations: [message] },
        details: { allocatedOre: sum, awardedOre: awarded },
      });
    }
  }

  /** A case number is unique in its round: a second one is refused beside its field. */
  async function checkCaseNumber(tx: Tx, roundId: number, externalRef: string | null | undefined, selfId = 0) {
    if (externalRef && (await grantWithCaseNumber(tx, roundId, externalRef, selfId)) !== undefined) {
      throw validationFailed({ externalRef: ['grant.externalRef.taken'] }, 'grant.externalRef.taken');
    }
  }

  /** The details a grant's status still allows, the period in order, and the case number its own. */
  async function checkDetails(tx: Tx, before: GrantRow, changes: Omit<GrantPatch, 'allocations' | 'payments'>) {
    const locked = lockedChanges(before, changes);
    if (locked.length) {
      throw new AppError('GRANT_FIELD_LOCKED', 409, `grant.edit.locked.${before.status}`, {
        fieldErrors: Object.fromEntries(locked.map((f) => [f, [`grant.edit.locked.${before.status}`]])),
        details: { status: before.status, fields: locked },
      });
    }
    const period = periodProblem(
      changes.periodStart === undefined ? before.periodStart : changes.periodStart,
      changes.periodEnd === undefined ? before.periodEnd : changes.periodEnd,
    );
    if (period) throw validationFailed(period);
    if (changes.externalRef !== before.externalRef)
      await checkCaseNumber(tx, before.roundId, changes.externalRef, before.id);
    if (changes.caseHandlerId != null && changes.caseHandlerId !== before.caseHandlerId)
      await checkCaseHandler(tx, (await findRound(tx, before.roundId))?.municipalityCode ?? 0, changes.caseHandlerId);
  }

  const service = {
    // Grant rounds and their totals: grants.rounds.ts.
    ...createRoundService(database),
    // Who can be a grant's case handler, and who it is: grants.case-handlers.ts.
    ...createCaseHandlerService(db),
    // The grant list and its export: grants.list.ts.
    ...createGrantListService(db, toGrants),

    async getGrant(id: number): Promise<Grant> {
      return loadGrant(db, id);
    },

    /** Records an application. A round that is decided takes no more. */
    async apply(principal: Principal, input: GrantCreate): Promise<Grant> {
      const { id } = await db.transaction((tx) => service.applyIn(tx, principal, input));
      const grant = await loadGrant(db, id);
      const overdue = await actorHasOverdueReport(db, input.actorId);
      return overdue ? { ...grant, warnings: ['ACTOR_HAS_OVERDUE_REPORT'] } : grant;
    },

    /**
     * apply() inside the caller's transaction (an approved online application becomes a grant this
     * way, with the same rules): the new grant's id and version.
     */
    async applyIn(tx: Tx, principal: Principal, input: GrantCreate): Promise<{ id: number; version: number }> {
      const round = await findRound(tx, input.roundId);
      if (!round) throw validationFailed({ roundId: ['grant.round.unknown'] });
      assertMayWrite(principal, 'grants', round.municipalityCode);
      if (!roundTakesGrants(round.status)) throw new AppError('ROUND_DECIDED', 409, 'grant.round.decided');
      if (!(await findActorRow(tx, input.actorId))) throw validationFailed({ actorId: ['grant.actor.unknown'] });
      if (input.kind === 'in_kind' && !input.inKindDescription) {
        throw validationFailed({ inKindDescription: ['grant.inKind.description'] });
      }
      const period = periodProblem(input.periodStart, input.periodEnd);
      if (period) throw validationFailed(period);
      await checkCaseNumber(tx, round.id, input.externalRef);
      await checkCaseHandler(tx, round.municipalityCode, input.caseHandlerId);
      const row = await insertGrant(tx, { ...input, reportDueOn: reportDueOf(round) });
      await recordAudit(tx, principal, { entity: 'grant', entityId: row.id, action: 'create', after: row });
      return { id: row.id, version: row.version };
    },

    /**
     * Changes a grant's details, report, split or payments. Which details a grant may still change
     * depends on its status (editableGrantFields); the award itself moves only through transition().
     */
    async updateGrant(principal: Principal, id: number, patch: GrantPatch & { version: number }): Promise<Grant> {
      await db.transaction(async (tx) => {
        const before = await grantToChange(tx, principal, id, patch.version);
        const { version: _, allocations, payments, ...changes } = patch;
        await checkDetails(tx, before, changes);
        if (allocations) {
          if (before.awardedOre === null) throw validationFailed({ allocations: ['grant.allocations.notAwarded'] });
          const round = await findRound(tx, before.roundId);
          await checkAllocations(tx, allocations, before.awardedOre, round?.municipalityCode ?? 0);
          await replaceAllocations(tx, id, allocations);
        }
        if (payments) {
          checkPaidWithinAward(netPaid(payments), before.awardedOre);
          await replacePayments(tx, id, payments);
        }
        await saveChange(tx, principal, before, changes, {
          ...(allocations ? { allocations } : {}),
          ...(payments ? { payments } : {}),
        });
      });
      return loadGrant(db, id);
    },

    /**
     * Records one instalment or repayment, leaving the others as they are. The grant's row is locked
     * and its version checked, so two payments recorded at once cannot pay out more than the award.
     */
    async recordPayment(principal: Principal, id: number, payment: PaymentInput & { version: number }): Promise<Grant> {
      await db.transaction(async (tx) => {
        const before = await grantToChange(tx, principal, id, payment.version);
        const { version: _, ...line } = payment;
        checkPaidWithinAward((await netPaidOre(tx, id)) + netPaid([line]), before.awardedOre);
        await insertPayment(tx, id, line);
        await saveChange(tx, principal, before, {}, { payment: line });
      });
      return loadGrant(db, id);
    },

    /**
     * Corrects one payment (its kind, date or amount), audited with the line before and after. Only
     * while the money is being paid out or is paid (paymentsCorrectable); what is paid stays within
     * the award, and a grant marked as paid stays fully paid.
     */
    async correctPayment(
      principal: Principal,
      id: number,
      paymentId: number,
      correction: PaymentInput & { version: number },
    ): Promise<Grant> {
      await db.transaction(async (tx) => {
        const before = await grantToChange(tx, principal, id, correction.version);
        const { version: _, ...line } = correction;
        const old = await findPayment(tx, id, paymentId);
        if (!old) throw notFound('grant_payment', paymentId);
        if (!paymentsCorrectable(before.status)) {
          throw new AppError('PAYMENT_LOCKED', 409, 'grant.payments.locked', {
            details: { status: before.status },
          });
        }
        const net = (await netPaidOre(tx, id)) - netPaid([old]) + netPaid([line]);
        checkPaidWithinAward(net, before.awardedOre);
        if (before.status === 'paid' && net !== before.awardedOre) {
          throw new AppError('NOT_FULLY_PAID', 409, 'grant.payments.mustStayPaid', {
            fieldErrors: { payments: ['grant.payments.mustStayPaid'] },
            details: { paidOre: net, awardedOre: before.awardedOre },
          });
        }
        await updatePayment(tx, paymentId, line);
        await saveChange(
          tx,
          principal,
          before,
          {},
          { payment: { id: paymentId, before: old, after: line } },
          'correct_payment',
        );
      });
      return loadGrant(db, id);
    },

    /**
     * The steps a grant can take now, by the same rules transition() applies (issue 19, point 6):
     * an award only while its round takes grants; the next mark (paid, accounted, closed) only
     * when nothing blocks it, else the message saying why; rejecting or withdrawing an application.
     */
    offeredSteps(grant: Grant, round: Pick<Round, 'status'>) {
      const mark = nextMark[grant.status];
      const blocker = mark ? transitionBlocker(grant, mark) : null;
      return {
        canAward: grant.status === 'applied' && roundTakesGrants(round.status),
        markAs: mark && !blocker ? mark : undefined,
        markBlockedBy: blocker?.message,
        decline: (['rejected', 'withdrawn'] as const).filter((to) => !transitionBlocker(grant, to)),
      };
    },

    /**
     * Moves a grant along its status flow. Approving awards money: the split must add up to the
     * award, and the award must fit the round's remaining budget unless finance overrides it
     * explicitly. The round's row is locked, so concurrent awards cannot overspend it together.
     * In its own transaction, or in the caller's (`within`).
     */
    async transition(principal: Principal, id: number, t: GrantTransition, within?: Tx): Promise<Grant> {
      if (within) await service.transitionIn(within, principal, id, t);
      else await db.transaction((tx) => service.transitionIn(tx, principal, id, t));
      return loadGrant(within ?? db, id);
    },

    /**
     * A report received (null: no longer received) and the auditor's endorsement, in the caller's
     * transaction, on the grant locked: only an approved or paid one takes it (409 otherwise).
     */
    async recordReport(tx: Tx, by: Principal, id: number, r: { receivedOn: string | null; endorsed?: boolean }) {
      const before = reportable(await findGrant(tx, id, true), id);
      const changes = { reportReceivedOn: r.receivedOn, auditorEndorsed: r.endorsed ?? before.auditorEndorsed };
      await saveChange(tx, by, before, changes, {}, r.receivedOn ? 'report_received' : 'report_reopened');
    },

    /** transition() inside the caller's transaction: an approved online application is awarded this way. */
    async transitionIn(tx: Tx, principal: Principal, id: number, t: GrantTransition): Promise<void> {
      const before = await findGrant(tx, id);
      if (!before) throw notFound('grant', id);
      const round = await findRound(tx, before.roundId, true);
      if (!round) throw notFound('grant_round', before.roundId);
      assertMayWrite(principal, 'grants', round.municipalityCode);
      const current = await findGrant(tx, id, true);
      if (!current || current.version !== t.version) throw staleVersion('grant', await loadGrant(tx, id));
      const blocked = transitionBlocker(
        {
          ...current,
          paidOre: t.to === 'paid' ? await netPaidOre(tx, id) : 0,
          auditorEndorsementRequired: (current.awardedOre ?? 0) >= threshold,
        },
        t.to,
      );
      if (blocked) throw blocked;
      const changes: Partial<GrantRow> = { status: t.to };
      let action: string = t.to;
      if (t.to === 'approved') {
        if (!roundTakesGrants(round.status)) throw new AppError('ROUND_DECIDED', 409, 'grant.round.decided');
        const awarded = t.awardedOre ?? current.requestedOre;
        // Nothing awarded is a rejection: an approval of 0 kr. would have no target group to split on.
        if (awarded < 1) throw validationFailed({ awardedOre: ['grant.award.zero'] }, 'grant.award.zero');
        const lines =
          t.allocations ?? (t.targetGroupId ? [{ targetGroupId: t.targetGroupId, amountOre: awarded }] : []);
        await checkAllocations(tx, lines, awarded, round.municipalityCode);
        const others = await awardedInRound(tx, round.id, id);
        if (exceedsBudget(round.budgetOre, others, others + BigInt(awarded))) {
          if (!t.overrideBudget) {
            const remainingOre = (BigInt(round.budgetOre) - others).toString();
            const message = `grant.budget.exceeded?awarded=${awarded}&remaining=${remainingOre}`;
            throw new AppError('GRANT_OVER_BUDGET', 409, message, {
              details: { remainingOre, awardedOre: awarded },
            });
          }
          assertMayOverrideBudget(principal, round.municipalityCode);
          changes.budgetOverride = true;
          action = 'approve_over_budget';
        }
        changes.awardedOre = awarded;
        changes.decisionOn = t.decisionOn ?? danishDate();
        await replaceAllocations(tx, id, lines);
      }
      const after = await updateGrantIfVersion(tx, id, t.version, changes);
      if (!after) throw staleVersion('grant', await loadGrant(tx, id));
      await recordAudit(tx, principal, { entity: 'grant', entityId: id, action, before: current, after });
    },
  };
  return service;
}
export type GrantService = ReturnType<typeof createGrantService>;
