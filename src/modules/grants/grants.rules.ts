/**
 * The grant rules that a grant typed in and a grant imported from a file both obey: pure, so the
 * form's service and the import apply the very same rule.
 */

/** Statuses in which a grant's award counts against its round's budget. */
export const awardedStatuses = ['approved', 'paid', 'accounted', 'closed'] as const;
const awarded: ReadonlySet<string> = new Set(awardedStatuses);

/** When a grant's report is due: the round's own date, else 1 June of the year after the round's. */
export function reportDueOf(round: { year: number; reportDueOn: string | null }): string {
  return round.reportDueOn ?? `${round.year + 1}-06-01`;
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
