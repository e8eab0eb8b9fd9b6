import { danishDate } from '../../lib/dates.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import type { ListedRow } from './grants.list.repository.ts';
import type { GrantRow, GrantWithParts } from './grants.repository.ts';
import type { Grant, GrantStatus } from './grants.schemas.ts';

/**
 * The grant rules that need no database: the status flow, the default report date, what counts as
 * paid, and a grant as the API and the pages show it. The service applies them inside its
 * transactions.
 */

/** The grant status flow. Anything else is refused with 409. */
const grantMovesTo: Record<GrantStatus, GrantStatus[]> = {
  applied: ['approved', 'rejected', 'withdrawn'],
  approved: ['paid'],
  paid: ['accounted'],
  accounted: ['closed'],
  rejected: [],
  withdrawn: [],
  closed: [],
};

/** What the status rules read of a grant. */
interface GrantState {
  status: GrantStatus;
  awardedOre: number | null;
  /** Paid, net of repayments. */
  paidOre: number;
  reportReceivedOn: string | null;
  auditorEndorsed: boolean;
  auditorEndorsementRequired: boolean;
}

/**
 * Why a grant cannot move to `to` now, as the coded error the service throws, or null if it can
 * (an approval's amount, split and budget are checked apart). The grant page offers only the moves
 * this allows, so a button it shows is one the service accepts.
 */
export function transitionBlocker(g: GrantState, to: GrantStatus): AppError | null {
  if (!grantMovesTo[g.status].includes(to)) {
    return new AppError('INVALID_TRANSITION', 409, `grant.transition.${g.status}`, {
      details: { from: g.status, to },
    });
  }
  if (to === 'paid' && g.paidOre !== g.awardedOre)
    return new AppError('NOT_FULLY_PAID', 409, 'grant.transition.notPaid');
  if (to === 'accounted') {
    if (!g.reportReceivedOn) return new AppError('REPORT_MISSING', 409, 'grant.transition.noReport');
    if (g.auditorEndorsementRequired && !g.auditorEndorsed)
      return new AppError('ENDORSEMENT_MISSING', 409, 'grant.transition.noEndorsement');
  }
  return null;
}

/** A grant's own details, as the edit form and PATCH change them (the award has a flow of its own). */
const grantDetailFields = [
  'title',
  'purpose',
  'inKindDescription',
  'requestedOre',
  'periodStart',
  'periodEnd',
  'externalRef',
  'caseHandlerId',
  'reportDueOn',
] as const;
export type GrantDetailField = (typeof grantDetailFields)[number];

const afterDecision: GrantDetailField[] = [
  'title',
  'purpose',
  'inKindDescription',
  'periodStart',
  'periodEnd',
  'externalRef',
  'caseHandlerId',
  'reportDueOn',
];

/**
 * Which details a grant may still change in each status. The application (the requested amount
 * included) is open until it is decided; after that the amount moves only through the award, with
 * its budget guard. Once the accounts are approved the report date is settled. The case handler can
 * change in every status until the grant is closed, and a closed grant keeps only its case number
 * open, so the archive can still find it.
 */
export const editableGrantFields: Record<GrantStatus, readonly GrantDetailField[]> = {
  applied: grantDetailFields,
  approved: afterDecision,
  paid: afterDecision,
  accounted: afterDecision.filter((f) => f !== 'reportDueOn'),
  rejected: ['title', 'purpose', 'externalRef', 'caseHandlerId'],
  withdrawn: ['title', 'purpose', 'externalRef', 'caseHandlerId'],
  closed: ['externalRef'],
};

/**
 * The details a change would alter that the grant's status no longer allows, or none. A field sent
 * with the value it already has is no change: the edit form sends every field it shows.
 */
export function lockedChanges(
  current: Record<GrantDetailField, unknown> & { status: GrantStatus },
  changes: Partial<Record<GrantDetailField, unknown>>,
): GrantDetailField[] {
  const open = editableGrantFields[current.status];
  return grantDetailFields.filter(
    (f) =>
      f in changes && changes[f] !== undefined && (changes[f] ?? null) !== (current[f] ?? null) && !open.includes(f),
  );
}

/** Payments can be corrected while the money is being paid out, and until the accounts are approved. */
export const paymentsCorrectable = (status: GrantStatus) => status === 'approved' || status === 'paid';

/** A period that ends before it starts is refused, field by field. */
export function periodProblem(start: string | null | undefined, end: string | null | undefined) {
  return start && end && end < start ? { periodEnd: ['grant.period.order'] } : null;
}

/** An application window that closes before it opens is refused beside its closing date. */
export function windowProblem(opens: string | null | undefined, closes: string | null | undefined) {
  return opens && closes && closes < opens ? { applicationsCloseOn: ['round.dates.closeBeforeOpen'] } : null;
}

/** The one step the grant page offers after an award, with a button of its own. */
export const nextMark: Partial<Record<GrantStatus, GrantStatus>> = {
  approved: 'paid',
  paid: 'accounted',
  accounted: 'closed',
};

/** 1 June of the year after the round's. */
const defaultReportDue = (year: number) => `${year + 1}-06-01`;

/** Payments less repayments. */
export const netPaid = (payments: { kind: 'payment' | 'repayment'; amountOre: number }[]) =>
  payments.reduce((s, p) => s + (p.kind === 'payment' ? p.amountOre : -p.amountOre), 0);

/** What is paid, net of repayments, stays between nothing and the award. */
export function checkPaidWithinAward(net: number, awardedOre: number | null) {
  if (awardedOre === null || net > awardedOre || net < 0) {
    const message =
      awardedOre === null
        ? 'grant.payments.notAwarded'
        : net < 0
          ? 'grant.payments.negative'
          : `grant.payments.exceed?paid=${net}&awarded=${awardedOre}`;
    throw new AppError('PAYMENTS_EXCEED_AWARD', 409, message, { fieldErrors: { payments: [message] } });
  }
}

/**
 * Grants for the API and the pages, from rows that carry their allocations and payments. A report is
 * overdue from midnight Danish time after its due date; an award of the threshold or more needs an
 * auditor's endorsement.
 */
export function grantsOf(
  rows: Pick<GrantWithParts, 'grant' | 'municipalityCode' | 'allocations' | 'payments'>[],
  auditorThresholdOre: number,
  today = danishDate(),
): Grant[] {
  return rows.map(({ grant: g, municipalityCode, allocations, payments: own }) => ({
    id: g.id,
    roundId: g.roundId,
    municipalityCode,
    actorId: g.actorId,
    title: g.title,
    purpose: g.purpose,
    externalRef: g.externalRef,
    caseHandlerId: g.caseHandlerId,
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
    reportOverdue: reportOverdue(g, today),
    auditorEndorsementRequired: (g.awardedOre ?? 0) >= auditorThresholdOre,
    auditorEndorsed: g.auditorEndorsed,
    budgetOverride: g.budgetOverride,
    allocations: allocations.map((a) => ({ targetGroupId: a.targetGroupId, amountOre: a.amountOre })),
    payments: own.map((p) => ({ id: p.id, kind: p.kind, paidOn: p.paidOn, amountOre: p.amountOre })),
    paidOre: netPaid(own),
    version: g.version,
  }));
}

/** A report is overdue from midnight Danish time after its due date, while the money is out and no report has come. */
function reportOverdue(g: Pick<GrantRow, 'reportReceivedOn' | 'reportDueOn' | 'status'>, today: string): boolean {
  return g.reportReceivedOn === null && g.reportDueOn < today && (g.status === 'approved' || g.status === 'paid');
}

/** A grant as the list pages show it (grantsListed in grants.list.repository.ts). */
export type ListedGrant = ListedRow['grant'] & {
  municipalityCode: number;
  reportOverdue: boolean;
  paidOre: number;
};

export function listedGrantsOf(rows: ListedRow[], today = danishDate()): ListedGrant[] {
  return rows.map(({ grant, municipalityCode, paidOre }) => ({
    ...grant,
    municipalityCode,
    reportOverdue: reportOverdue(grant, today),
    paidOre,
  }));
}

/** Statuses in which a grant's award counts against its round's budget. */
export const awardedStatuses = ['approved', 'paid', 'accounted', 'closed'] as const;
const awarded: ReadonlySet<string> = new Set(awardedStatuses);

/** When a grant's report is due: the round's own date, else 1 June of the year after the round's. */
export function reportDueOf(round: { year: number; reportDueOn: string | null }): string {
  return round.reportDueOn ?? defaultReportDue(round.year);
}

/** What a grant counts against its round's budget, in øre: its award once awarded, else nothing. */
export function countedAward(grant: { status: string; awardedOre: number | null }): bigint {
  return awarded.has(grant.status) ? BigInt(grant.awardedOre ?? 0) : 0n;
}

/**
 * The budget guard: awards that take a round's awarded total (before → after, in øre) over its
 * budget need finance's explicit override. A change that does not raise the total (an award
 * lowered in a round already over its budget) is not held to it.
 */
export function exceedsBudget(budgetOre: bigint | number, beforeOre: bigint, afterOre: bigint): boolean {
  return afterOre > BigInt(budgetOre) && afterOre > beforeOre;
}

/** Where a round stands for the public: taking applications, still to come, being decided, or decided. */
export type RoundPhase = 'open' | 'upcoming' | 'closed' | 'decided';

interface RoundWindow {
  status: 'planned' | 'open' | 'closed' | 'decided';
  applicationsOpenOn: string | null;
  applicationsCloseOn: string | null;
}

/**
 * Does the round take applications on this Danish day? Finance has opened it, and the day is within
 * its window (a missing date leaves that end open).
 */
export function roundTakesApplications(round: RoundWindow, today: string = danishDate()): boolean {
  if (round.status !== 'open') return false;
  if (round.applicationsOpenOn && today < round.applicationsOpenOn) return false;
  return !(round.applicationsCloseOn && today > round.applicationsCloseOn);
}

/**
 * The round's phase on this Danish day, or null when it is not public: a planned round is shown
 * once it has an application window (as upcoming), every other one always. `isPublic` in
 * public.repository.ts is the same test in SQL: change both together.
 */
export function roundPhase(round: RoundWindow, today: string = danishDate()): RoundPhase | null {
  if (round.status === 'decided') return 'decided';
  if (round.status === 'closed') return 'closed';
  if (round.status === 'planned') return round.applicationsOpenOn ? 'upcoming' : null;
  if (roundTakesApplications(round, today)) return 'open';
  return round.applicationsOpenOn && today < round.applicationsOpenOn ? 'upcoming' : 'closed';
}

/**
 * The grant a report is recorded on (through the link, or finance's decision on it): one approved or
 * paid. An accounted, closed, withdrawn or rejected grant is refused (409); none at all is 404.
 */
export function reportable<G extends { status: GrantStatus }>(grant: G | undefined, id: number): G {
  if (!grant) throw notFound('grant', id);
  if (grant.status !== 'approved' && grant.status !== 'paid')
    throw new AppError('GRANT_NOT_REPORTABLE', 409, 'grant.report.notReportable', {
      details: { id, status: grant.status },
    });
  return grant;
}
