import { and, asc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { applicants, applicationLinks, applications, applicationTargetGroups } from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';

export type ApplicationRow = typeof applications.$inferSelect;
export type ApplicationValues = Omit<
  typeof applications.$inferInsert,
  'id' | 'roundId' | 'applicantId' | 'status' | 'version' | 'createdAt' | 'updatedAt' | 'submittedAt'
>;
export interface TargetGroupLine {
  targetGroupId: number;
  expectedParticipants: number | null;
}

/** The applicant known by this e-mail address (any case), made on first use. */
export async function applicantByEmail(db: Queryable, email: string): Promise<number> {
  await db.insert(applicants).values({ email }).onConflictDoNothing();
  const [row] = await db
    .select({ id: applicants.id })
    .from(applicants)
    .where(and(eq(applicants.identity, 'email_link'), sql`lower(${applicants.email}) = lower(${email})`));
  if (!row) throw new Error('the applicant was neither found nor made');
  return row.id;
}

export async function insertApplication(
  db: Queryable,
  values: ApplicationValues & { roundId: number; applicantId: number; status: 'draft' | 'submitted' },
): Promise<ApplicationRow> {
  const [row] = await db
    .insert(applications)
    .values({ ...values, submittedAt: values.status === 'submitted' ? sql`now()` : null })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** Updates a draft from the version read, and sends it when asked: undefined when stale or sent. */
export async function updateDraftIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: ApplicationValues,
  submit: boolean,
): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .update(applications)
    .set({
      ...values,
      ...(submit ? { status: 'submitted' as const, submittedAt: sql`now()` } : {}),
      ...nextVersionNow(applications),
    })
    .where(and(eq(applications.id, id), eq(applications.version, version), eq(applications.status, 'draft')))
    .returning();
  return row;
}

export async function replaceTargetGroups(db: Queryable, applicationId: number, lines: TargetGroupLine[]) {
  await db.delete(applicationTargetGroups).where(eq(applicationTargetGroups.applicationId, applicationId));
  if (lines.length) await db.insert(applicationTargetGroups).values(lines.map((l) => ({ applicationId, ...l })));
}

export async function targetGroupsOf(db: Queryable, applicationId: number): Promise<TargetGroupLine[]> {
  return db
    .select({
      targetGroupId: applicationTargetGroups.targetGroupId,
      expectedParticipants: applicationTargetGroups.expectedParticipants,
    })
    .from(applicationTargetGroups)
    .where(eq(applicationTargetGroups.applicationId, applicationId))
    .orderBy(asc(applicationTargetGroups.targetGroupId));
}

export async function insertLink(db: Queryable, applicationId: number, tokenHash: string): Promise<void> {
  await db.insert(applicationLinks).values({ applicationId, tokenHash });
}

/** The application a link leads to (its use noted), or undefined for a link that is no link. */
export async function applicationByLink(
  db: Queryable,
  tokenHash: string,
  forUpdate = false,
): Promise<ApplicationRow | undefined> {
  const [link] = await db
    .update(applicationLinks)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(applicationLinks.tokenHash, tokenHash))
    .returning({ applicationId: applicationLinks.applicationId });
  if (!link) return undefined;
  const q = db.select().from(applications).where(eq(applications.id, link.applicationId));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}
