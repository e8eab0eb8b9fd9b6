import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { actors, applications, grantAllocations, grants } from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';
import type { ApplicationRow } from './applications.repository.ts';
import { UNDECIDED_STATUSES } from './applications.rules.ts';

/** What a decision writes on the application. */
export interface DecisionValues {
  status: 'approved' | 'rejected';
  grantId: number | null;
  decidedBy: number;
  decisionMeeting: string;
  decisionReasons: string;
}

/**
 * Records the decision from the version read, while the application is still to be decided:
 * undefined when it is stale or decided meanwhile.
 */
export async function recordDecisionIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: DecisionValues,
): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .update(applications)
    .set({
      ...values,
      decidedAt: sql`now()`,
      ...nextVersionNow(applications),
    })
    .where(
      and(
        eq(applications.id, id),
        eq(applications.version, version),
        inArray(applications.status, [...UNDECIDED_STATUSES]),
      ),
    )
    .returning();
  return row;
}

/** The matched actor's name, or undefined. */
export async function actorNameOf(db: Queryable, actorId: number): Promise<string | undefined> {
  const [row] = await db.select({ name: actors.name }).from(actors).where(eq(actors.id, actorId));
  return row?.name;
}

/** An approval's grant as the applicant sees it: the amount, the decision's day and the split. */
export async function awardOf(db: Queryable, grantId: number) {
  const [grant] = await db
    .select({ awardedOre: grants.awardedOre, decisionOn: grants.decisionOn })
    .from(grants)
    .where(eq(grants.id, grantId));
  if (!grant) return undefined;
  const allocations = await db
    .select({ targetGroupId: grantAllocations.targetGroupId, amountOre: grantAllocations.amountOre })
    .from(grantAllocations)
    .where(eq(grantAllocations.grantId, grantId))
    .orderBy(grantAllocations.targetGroupId);
  return { ...grant, allocations };
}
