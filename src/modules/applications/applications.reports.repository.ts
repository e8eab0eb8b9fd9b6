import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import {
  applicationDocuments,
  applicationReportReach,
  applicationReports,
  applications,
} from '../../db/schema/index.ts';
import { nextVersion } from '../../db/versions.ts';
import { type ReportStatus, reportDocumentKinds } from './applications.reports.rules.ts';

export type ReportRow = typeof applicationReports.$inferSelect;
export interface ReachLine {
  reportId: number;
  targetGroupId: number;
  participants: number;
}

/** An application's reports, the latest first. */
export async function reportsOf(db: Queryable, applicationId: number): Promise<ReportRow[]> {
  return db
    .select()
    .from(applicationReports)
    .where(eq(applicationReports.applicationId, applicationId))
    .orderBy(desc(applicationReports.id));
}

/** The report that counts: the application's latest (locked for a change when asked). */
export async function latestReport(
  db: Queryable,
  applicationId: number,
  forUpdate = false,
): Promise<ReportRow | undefined> {
  const q = db
    .select()
    .from(applicationReports)
    .where(eq(applicationReports.applicationId, applicationId))
    .orderBy(desc(applicationReports.id))
    .limit(1);
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function reachOf(db: Queryable, reportIds: number[]): Promise<ReachLine[]> {
  if (!reportIds.length) return [];
  return db
    .select({
      reportId: applicationReportReach.reportId,
      targetGroupId: applicationReportReach.targetGroupId,
      participants: applicationReportReach.participants,
    })
    .from(applicationReportReach)
    .where(inArray(applicationReportReach.reportId, reportIds));
}

/** A new report and its reach, in the caller's transaction. */
export async function insertReport(
  db: Queryable,
  values: { applicationId: number; grantId: number; whatWasDone: string },
  reach: { targetGroupId: number; participants: number }[],
): Promise<ReportRow> {
  const [row] = await db.insert(applicationReports).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  await db.insert(applicationReportReach).values(reach.map((l) => ({ ...l, reportId: row.id })));
  return row;
}

/** The report documents uploaded since the last report, linked to the new one; their kinds. */
export async function linkPendingDocuments(db: Queryable, applicationId: number, reportId: number) {
  return db
    .update(applicationDocuments)
    .set({ reportId })
    .where(
      and(
        eq(applicationDocuments.applicationId, applicationId),
        isNull(applicationDocuments.reportId),
        inArray(applicationDocuments.kind, [...reportDocumentKinds]),
      ),
    )
    .returning({ id: applicationDocuments.id, kind: applicationDocuments.kind });
}

/** An application's report documents, sent with a report or waiting for the next, oldest first. */
export async function reportDocumentsOf(db: Queryable, applicationId: number) {
  return db
    .select()
    .from(applicationDocuments)
    .where(
      and(
        eq(applicationDocuments.applicationId, applicationId),
        inArray(applicationDocuments.kind, [...reportDocumentKinds]),
      ),
    )
    .orderBy(applicationDocuments.id);
}

/** Finance's answer on a report, if it is still the version read; undefined otherwise. */
export async function decideReportIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: { status: Exclude<ReportStatus, 'submitted'>; financeNote: string | null; decidedBy: number },
): Promise<ReportRow | undefined> {
  const [row] = await db
    .update(applicationReports)
    .set({ ...values, decidedAt: sql`now()`, ...nextVersion(applicationReports) })
    .where(
      and(
        eq(applicationReports.id, id),
        eq(applicationReports.version, version),
        eq(applicationReports.status, 'submitted'),
      ),
    )
    .returning();
  return row;
}

/** The application whose approval created the grant, if one did. */
export async function applicationOfGrant(db: Queryable, grantId: number) {
  const [row] = await db.select().from(applications).where(eq(applications.grantId, grantId));
  return row;
}
